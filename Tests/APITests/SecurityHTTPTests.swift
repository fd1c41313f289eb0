import API
import Domain
import Engine
import Foundation
import JSON
import RateLimit
import Synchronization
import Testing
import TestSupport

/// Issue 4 over real sockets: credentials, CORS, rate limiting (memory and a real Redis shared by
/// two servers), start-up refusals of the real binary.
@Suite struct SecurityHTTPTests {
    @Test func perPrincipalKeysOverHTTP() throws {
        let f = try ServerFixture(api: { $0.authentication = .apiKeysOnly; $0.credentialCacheSeconds = 0 })
        let agentKey = try f.engine.createAPIKey(tenantID: Caller.defaultTenant, principal: Principal(kind: .agent, id: "alice"),
                                                 role: .agent, scopes: [], name: nil, expiresAt: nil).key
        let workerKey = try f.engine.createAPIKey(tenantID: Caller.defaultTenant, principal: Principal(kind: .worker, id: "w1"),
                                                  role: .worker, scopes: [], name: nil, expiresAt: nil)
        let c = f.client()
        let missing = try c.post("/v1/tasks", ["type": "echo"])
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate") == "Bearer")
        #expect(missing.errorCode == "UNAUTHORIZED")
        #expect(try c.get("/v1/health").status == 200, "health needs no credential")
        // the principal comes from the key: no principal_id needed, a contradicting one is 403
        let created = try c.post("/v1/tasks", ["type": "echo"], headers: ["Authorization": "Bearer \(agentKey)"])
        #expect(created.status == 200)
        let spoof = try c.post("/v1/tasks?principal_kind=agent&principal_id=bob", ["type": "echo"], headers: ["X-API-Key": agentKey])
        #expect(spoof.status == 403)
        #expect(spoof.errorCode == "FORBIDDEN_PRINCIPAL")
        // agents cannot lease, workers cannot create
        #expect(try c.post("/v1/leases/claim", ["worker_id": "alice"], headers: ["X-API-Key": agentKey]).status == 403)
        #expect(try c.post("/v1/tasks", ["type": "echo"], headers: ["X-API-Key": workerKey.key]).status == 403)
        let claim = try c.post("/v1/leases/claim", ["worker_id": "w1"], headers: ["X-API-Key": workerKey.key])
        #expect(claim.status == 200)
        #expect(claim.json["tasks"]?.arrayValue?.count == 1)
        // revoked: refused immediately (cache disabled here; default TTL 5 s)
        try f.engine.revokeAPIKey(keyID: workerKey.record.keyID)
        let revoked = try c.post("/v1/leases/claim", ["worker_id": "w1"], headers: ["X-API-Key": workerKey.key])
        #expect(revoked.status == 401)
        #expect(try c.get("/v1/tasks", headers: ["Authorization": "Bearer ag_not_a_real_key"]).status == 401)
    }

    @Test func corsPreflightAllowedAndDenied() throws {
        let f = try ServerFixture(api: { $0.corsAllowedOrigins = ["https://app.example.com"] })
        let c = f.client()
        let ok = try c.send("OPTIONS", "/v1/tasks", body: nil, headers: [
            "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"])
        #expect(ok.status == 204)
        #expect(ok.header("Access-Control-Allow-Origin") == "https://app.example.com")
        #expect(ok.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
        let denied = try c.send("OPTIONS", "/v1/tasks", body: nil, headers: [
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"])
        #expect(denied.status == 403)
        #expect(denied.header("Access-Control-Allow-Origin") == nil)
        let simple = try c.get("/v1/health", headers: ["Origin": "https://app.example.com"])
        #expect(simple.header("Access-Control-Allow-Origin") == "https://app.example.com")
        #expect(simple.header("Access-Control-Allow-Origin") != "*")
        #expect(try c.get("/v1/health", headers: ["Origin": "https://evil.example"]).header("Access-Control-Allow-Origin") == nil)
        #expect(simple.header("X-Content-Type-Options") == "nosniff")
    }

    @Test func memoryRateLimitExceededAndReset() throws {
        let f = try ServerFixture(api: { $0.rateLimiter = MemoryRateLimiter(limit: 5, windowSeconds: 2) })
        let c = f.client()
        var last: TestHTTPClient.Response?
        for i in 0..<5 {
            let r = try c.get("/v1/tasks")
            #expect(r.status == 200)
            #expect(r.header("X-RateLimit-Limit") == "5")
            #expect(r.header("X-RateLimit-Remaining") == String(4 - i))
            last = r
        }
        #expect(last?.header("X-RateLimit-Reset") != nil)
        let limited = try c.get("/v1/tasks")
        #expect(limited.status == 429)
        #expect(limited.errorCode == "RATE_LIMITED")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(limited.json["detail"]?.stringValue != nil)
        // a 429 changes nothing: the create below is refused and no task exists
        #expect(try c.post("/v1/tasks?principal_kind=agent&principal_id=a", ["type": "x"]).status == 429)
        #expect(try f.engineFixture.sql("SELECT count(*) FROM tasks").first?.int(0) == 0)
        // health is never limited (load balancers)
        #expect(try c.get("/v1/health").status == 200)
        Thread.sleep(forTimeInterval: 4.2)
        #expect(try c.get("/v1/tasks").status == 200, "window slid: allowed again")
    }

    @Test func redisLimitIsSharedByTwoServers() throws {
        guard let redis = try? LocalRedis() else {
            Issue.record("could not start redis-server (apt-get install -y redis-server)")
            return
        }
        defer { redis.stop() }
        let makeLimiter = { try RedisRateLimiter(url: redis.url, limit: 6, windowSeconds: 30, failOpen: false, logger: TestPostgres.logger) }
        let a = try ServerFixture(api: { $0.rateLimiter = try? makeLimiter() })
        let b = try ServerFixture(api: { $0.rateLimiter = try? makeLimiter() })
        var statuses: [Int] = []
        for i in 0..<8 { statuses.append(try (i % 2 == 0 ? a : b).client().get("/v1/tasks").status) }
        #expect(statuses.filter { $0 == 200 }.count == 6)
        #expect(statuses.suffix(2) == [429, 429])
        // Redis gone + fail closed: refused, never crashes
        redis.stop()
        #expect(try a.client().get("/v1/tasks").status == 429)
    }

    @Test func productionRefusesToStartUnsafely() throws {
        guard let binary = AsyncGateBinary.path else {
            Issue.record("asyncgate binary not built (swift build)")
            return
        }
        func exitStatus(_ env: [String: String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.environment = ["PATH": "/usr/bin:/bin"].merging(env) { $1 }
            let pipe = Pipe()
            p.standardError = pipe
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, out)
        }
        let insecure = try exitStatus(["ASYNCGATE_ENV": "production", "ASYNCGATE_ALLOW_INSECURE_DEV": "true", "ASYNCGATE_API_KEY": String(repeating: "k", count: 32)])
        #expect(insecure.0 != 0)
        #expect(insecure.1.contains("ASYNCGATE_ALLOW_INSECURE_DEV"))
        let typo = try exitStatus(["ASYNCGATE_PROT": "8080"])
        #expect(typo.0 != 0)
        #expect(typo.1.contains("ASYNCGATE_PROT"))
        let star = try exitStatus(["ASYNCGATE_CORS_ALLOWED_ORIGINS": "*"])
        #expect(star.0 != 0)
        #expect(star.1.contains("CORS_ALLOWED_ORIGINS"))
        let badPort = try exitStatus(["ASYNCGATE_PORT": "http"])
        #expect(badPort.1.contains("ASYNCGATE_PORT"))
    }
}

/// The built `asyncgate` executable next to the test bundle, if any.
enum AsyncGateBinary {
    static let path: String? = {
        if let explicit = ProcessInfo.processInfo.environment["ASYNCGATE_BIN"], FileManager.default.isExecutableFile(atPath: explicit) { return explicit }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("asyncgate").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()
}

/// A throwaway redis-server on a free port.
final class LocalRedis: @unchecked Sendable {
    let port: Int
    let process: Process
    let dir: String
    var url: String { "redis://127.0.0.1:\(port)/0" }

    init() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") else { throw LocalRedisError.unavailable }
        port = TestPorts.next()
        dir = NSTemporaryDirectory() + "agredis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // generous: the machine running the suite may be heavily loaded
        for _ in 0..<600 {
            if !process.isRunning { break }
            let probe = MemoryProbe.canConnect(port: port)
            if probe { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw LocalRedisError.unavailable
    }

    func stop() {
        // SIGKILL: children of Swift Testing's threads inherit a mask that blocks SIGTERM
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

enum MemoryProbe {
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

enum LocalRedisError: Error { case unavailable }

/// Two real `asyncgate` processes (one database, one Redis) enforce one combined limit.
@Suite struct RedisTwoProcessTests {
    @Test func twoServerProcessesShareOneLimit() throws {
        guard let binary = AsyncGateBinary.path else { Issue.record("asyncgate binary not built"); return }
        guard let redis = try? LocalRedis() else { Issue.record("could not start redis-server (apt-get install -y redis-server)"); return }
        defer { redis.stop() }
        let database = try MigratedDatabase.create()
        var servers: [(Process, Int)] = []
        defer { for (p, _) in servers where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        // Ports below Linux's ephemeral range (32768+), where the suite's own outgoing connections
        // live; a server that still loses its port (it exits) is relaunched on another.
        func launch() throws -> (Process, Int)? {
            for _ in 0..<5 {
                let port = TestPorts.next()
                let p = Process()
                p.executableURL = URL(fileURLWithPath: binary)
                p.environment = [
                    "PATH": "/usr/bin:/bin", "ASYNCGATE_DATABASE_URL": database, "ASYNCGATE_PORT": "\(port)",
                    "ASYNCGATE_RATE_LIMIT_BACKEND": "redis", "ASYNCGATE_REDIS_URL": redis.url,
                    "ASYNCGATE_RATE_LIMIT_DEFAULT_CALLS": "6", "ASYNCGATE_RATE_LIMIT_DEFAULT_WINDOW_SECONDS": "60",
                    "ASYNCGATE_LOG_LEVEL": "warning",
                ]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                for _ in 0..<600 {
                    if !p.isRunning { break }
                    if (try? TestHTTPClient(port: port).get("/v1/health").status) == 200 { return (p, port) }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
                p.waitUntilExit()
            }
            return nil
        }
        for _ in 0..<2 {
            guard let server = try launch() else { Issue.record("asyncgate did not start"); return }
            servers.append(server)
        }
        var statuses: [Int] = []
        for i in 0..<8 { statuses.append(try TestHTTPClient(port: servers[i % 2].1).get("/v1/tasks").status) }
        #expect(statuses.filter { $0 == 200 }.count == 6, "one limit across both processes: \(statuses)")
        #expect(statuses.suffix(2) == [429, 429])
    }
}

@Suite struct CredentialSourceTests {
    /// Production without ASYNCGATE_API_KEY accepts only stored keys: with none, it must not start.
    @Test func productionWithoutAnyCredentialRefusesToStart() throws {
        guard let binary = AsyncGateBinary.path else { Issue.record("asyncgate binary not built"); return }
        let database = try MigratedDatabase.create()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.environment = ["PATH": "/usr/bin:/bin", "ASYNCGATE_ENV": "production", "ASYNCGATE_DATABASE_URL": database,
                         "ASYNCGATE_PORT": "\(TestPorts.next())"]
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(out.contains("no credential source"))
    }
}

/// Ports for servers the tests start as separate processes: below the ephemeral range (32768+),
/// spread by process id so parallel test runs rarely meet.
enum TestPorts {
    private static let counter = Mutex<Int>(0)
    static func next() -> Int {
        let n = counter.withLock { c -> Int in c += 1; return c }
        return 20_000 + Int((getpid() * 37 + Int32(n * 101)) % 12_000)
    }
}
