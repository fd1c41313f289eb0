#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds.
func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Latency samples of one operation kind, in nanoseconds.
struct Latencies {
    var samples: [UInt64] = []

    mutating func add(_ ns: UInt64) { samples.append(ns) }
    mutating func merge(_ other: Latencies) { samples.append(contentsOf: other.samples) }

    /// "p50 1.23 ms  p95 …  p99 …  max …" over the samples.
    func summary() -> String {
        guard !samples.isEmpty else { return "no samples" }
        let sorted = samples.sorted()
        func p(_ q: Double) -> String { ms(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) }
        return "p50 \(p(0.50))  p95 \(p(0.95))  p99 \(p(0.99))  max \(ms(sorted.last!))  (n=\(sorted.count))"
    }

    func percentile(_ q: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1e6
    }
}

func ms(_ ns: UInt64) -> String { fixed(Double(ns) / 1e6, 2) + " ms" }

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        text += "." + String(repeating: "0", count: digits)
    }
    return text
}

/// CPU seconds (user + system) used so far by this process.
func selfCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// CPU seconds used so far by a process, and optionally by all its direct children (PostgreSQL's
/// backends are children of the postmaster), from /proc. 0 when the process is not visible.
func processCPUSeconds(pid: Int32, includeChildren: Bool) -> Double {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    func stat(_ pid: Int32) -> (ppid: Int32, cpu: Double)? {
        guard let text = readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state ppid ... utime(14) stime(15), counted from field 3.
        let fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 13, let ppid = Int32(fields[1]), let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        return (ppid, (utime + stime) / ticks)
    }
    var total = stat(pid)?.cpu ?? 0
    if includeChildren, let dir = opendir("/proc") {
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let child = Int32(name), child != pid, let s = stat(child), s.ppid == pid else { continue }
            total += s.cpu
        }
    }
    return total
}

func readFile(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// CPU used by the client, the server and PostgreSQL over a measured window.
struct CPUWindow {
    let serverPID: Int32?
    let postgresPID: Int32?
    private var start: (wall: UInt64, client: Double, server: Double, postgres: Double) = (0, 0, 0, 0)

    init(serverPID: Int32?, postgresPID: Int32?) {
        self.serverPID = serverPID
        self.postgresPID = postgresPID
    }

    mutating func begin() { start = sample() }

    private func sample() -> (wall: UInt64, client: Double, server: Double, postgres: Double) {
        (now(), selfCPUSeconds(),
         serverPID.map { processCPUSeconds(pid: $0, includeChildren: false) } ?? 0,
         postgresPID.map { processCPUSeconds(pid: $0, includeChildren: true) } ?? 0)
    }

    /// CPU used since `begin()`.
    func end() -> CPUUsage {
        let end = sample()
        return CPUUsage(wall: Double(end.wall - start.wall) / 1e9, client: end.client - start.client,
                        server: serverPID == nil ? nil : end.server - start.server,
                        postgres: postgresPID == nil ? nil : end.postgres - start.postgres)
    }
}

/// CPU seconds used by each party over a wall-clock window.
struct CPUUsage {
    var wall: Double
    var client: Double
    var server: Double?
    var postgres: Double?

    /// "client 0.41 cores, server 0.93 cores, postgres 0.55 cores (machine has 2 cores)".
    var description: String {
        var parts = ["client \(fixed(client / wall, 2)) cores"]
        if let server { parts.append("server \(fixed(server / wall, 2)) cores") }
        if let postgres { parts.append("postgres \(fixed(postgres / wall, 2)) cores") }
        return parts.joined(separator: ", ") + " (machine has \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores)"
    }

    /// CPU milliseconds per operation: unlike rates and latencies, this hardly changes when other
    /// processes compete for the machine, so it compares runs taken on a busy box.
    func perOperation(_ count: Int, _ op: String) -> String? {
        guard count > 0 else { return nil }
        func per(_ seconds: Double) -> String { fixed(seconds * 1000 / Double(count), 3) + " ms" }
        var parts = ["client \(per(client))"]
        if let server { parts.append("server \(per(server))") }
        if let postgres { parts.append("postgres \(per(postgres))") }
        return "cpu per \(op): " + parts.joined(separator: ", ")
    }
}
