import Foundation
import Glibc
import Testing
@testable import RateLimit

/// A real, throwaway `redis-server`: its own port and temp directory, no persistence. Tests that use
/// it are skipped (with a message) only when the binary is not installed.
final class RedisServer: @unchecked Sendable {
    static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let skipMessage: Comment = "redis-server is not installed (apt-get install -y redis-server); Redis rate-limiter tests skipped"

    let port: UInt16
    let password: String?
    let directory: URL
    private var process: Process?

    init(password: String? = nil) throws {
        self.password = password
        self.port = try Self.freePort()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit { shutdown() }

    func url(database: Int = 0, password override: String? = nil) -> String {
        let secret = override ?? password
        return "redis://\(secret.map { ":\($0)@" } ?? "")127.0.0.1:\(port)/\(database)"
    }

    /// Starts (or restarts, on the same port) and waits until it answers PING.
    func start() throws {
        guard process == nil else { return }
        guard let binary = Self.binary else { throw TestFailure("redis-server not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--daemonize", "no", "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path]
        if let password { arguments += ["--requirepass", password] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try waitUntilReady()
    }

    /// Stops the server abruptly, like a crash, and waits for it. SIGKILL because the child inherits
    /// the signal mask of the test's worker thread, where SIGTERM is blocked; with persistence off
    /// there is nothing to lose.
    func stop() {
        guard let process else { return }
        self.process = nil
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func shutdown() {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A raw connection for inspecting what the limiter wrote.
    func command(_ arguments: [String], database: Int = 0) throws -> RESPValue {
        let url = RedisURL(host: "127.0.0.1", port: port, password: password, database: database)
        let deadline = MonotonicClock.now() + 5
        return try RedisConnection.open(url, deadline: deadline).send(arguments, deadline: deadline)
    }

    private func waitUntilReady() throws {
        let deadline = MonotonicClock.now() + 15
        while MonotonicClock.now() < deadline {
            if let process, !process.isRunning {
                throw TestFailure("redis-server exited at start-up (port \(port) taken?)")
            }
            if case .simpleString("PONG")? = try? command(["PING"]) { return }
            usleep(20_000)
        }
        throw TestFailure("redis-server on port \(port) did not answer PING within 15 s")
    }

    /// Asks the kernel for an unused port. Another process could take it before redis binds it;
    /// `start` then reports the early exit rather than hanging.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw TestFailure("bind failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
