/// Command line of `agbench SCENARIO [options]`.
struct Options: Sendable {
    var scenario = ""
    var host = "127.0.0.1"
    var port: UInt16 = 8080
    var seconds = 15.0
    var warmup = 2.0
    var workers = 32
    var tasks = 20_000
    var principal = "bench-agent"
    var expectOpen: Int?
    var serverPID: Int32?
    var postgresPID: Int32?

    static let usage = """
        usage: agbench SCENARIO [options]

        scenarios:
          health        GET /v1/health on keep-alive connections
          create        POST /v1/tasks
          cycle         create -> claim -> complete by N concurrent workers (jobs/s)
          drain         pre-create --tasks tasks, then drain them with max_tasks=10 claims
          obligations   GET /v1/obligations/open?limit=200 latency (seed the ledger first)
          latency       create -> claim with workers already waiting in long-poll claims

        options:
          --url URL            server base URL (default http://127.0.0.1:8080; loopback only)
          --seconds S          measured duration (default 15)
          --warmup S           unmeasured warm-up before it (default 2)
          --workers N          concurrent connections/threads (default 32; obligations, latency: 1)
          --tasks N            drain: tasks to pre-create (default 20000)
          --principal ID       obligations: the agent whose obligations are read (default bench-agent)
          --expect-open N      obligations: the number of open obligations seeded (checks each page)
          --server-pid PID     report the server's CPU use
          --postgres-pid PID   report PostgreSQL's CPU use (postmaster and its backends)

        Every response is validated: a non-2xx status or a body without the expected fields counts as
        an error; the exit status is 1 if there was any error.
        """

    struct Invalid: Error, CustomStringConvertible { var description: String }

    init(_ arguments: [String]) throws {
        var args = arguments[...]
        var workersGiven = false
        func value(_ flag: String) throws -> String {
            guard let v = args.popFirst() else { throw Invalid(description: "\(flag) needs a value") }
            return v
        }
        func number<T: LosslessStringConvertible>(_ flag: String, _: T.Type) throws -> T {
            let raw = try value(flag)
            guard let v = T(raw) else { throw Invalid(description: "\(flag): not a number: \(raw)") }
            return v
        }
        while let arg = args.popFirst() {
            switch arg {
            case "--url":
                let url = try value(arg)
                guard url.hasPrefix("http://") else { throw Invalid(description: "--url must be http://HOST:PORT") }
                let rest = url.dropFirst("http://".count).split(separator: "/").first ?? ""
                let parts = rest.split(separator: ":")
                host = parts.first.map(String.init) ?? "127.0.0.1"
                if host == "localhost" { host = "127.0.0.1" }
                port = parts.count > 1 ? UInt16(parts[1]) ?? 80 : 80
                guard host.hasPrefix("127.") else { throw Invalid(description: "agbench only targets loopback addresses (127.x)") }
            case "--seconds": seconds = try number(arg, Double.self)
            case "--warmup": warmup = try number(arg, Double.self)
            case "--workers": workers = try number(arg, Int.self); workersGiven = true
            case "--tasks": tasks = try number(arg, Int.self)
            case "--principal": principal = try value(arg)
            case "--expect-open": expectOpen = try number(arg, Int.self)
            case "--server-pid": serverPID = try number(arg, Int32.self)
            case "--postgres-pid": postgresPID = try number(arg, Int32.self)
            case "-h", "--help": throw Invalid(description: "")
            default:
                guard scenario.isEmpty, !arg.hasPrefix("-") else { throw Invalid(description: "unexpected argument \(arg)") }
                scenario = arg
            }
        }
        if scenario.isEmpty { throw Invalid(description: "") }
        if scenario == "obligations" || scenario == "latency", !workersGiven { workers = 1 }
        guard workers >= 1, workers <= 1024, seconds > 0, warmup >= 0 else { throw Invalid(description: "out-of-range option") }
    }
}
