import AsyncGateClient
import Foundation
import JSON
import TestSupport

/// Helpers shared by the client and worker tests.
enum Support {
    /// Fast, bounded retries so retry tests take milliseconds.
    static let quickRetry = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, jitter: false)

    static func client(port: Int, retry: RetryPolicy = quickRetry, timeout: Double = 10, apiKey: String? = nil) -> AsyncGateClient {
        var config = ClientConfiguration(server: ServerAddress(host: "127.0.0.1", port: port), apiKey: apiKey)
        config.retry = retry
        config.requestTimeout = timeout
        config.connectTimeout = 2
        return AsyncGateClient(configuration: config)
    }

    static func client(_ fixture: ServerFixture, retry: RetryPolicy = quickRetry) -> AsyncGateClient {
        client(port: fixture.port, retry: retry)
    }

    static let alice = Principal.agent("alice")

    /// Polls `condition` until it holds or `timeout` passes (a bound on waiting for a state change,
    /// not a guess at how long something takes).
    static func waitUntil(timeout: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try condition()
    }

    /// Number of rows of a single-integer SQL query.
    static func count(_ fixture: ServerFixture, _ sql: String, _ binds: [String] = []) throws -> Int {
        try fixture.engineFixture.sql(sql, binds).first?.int(0) ?? -1
    }

    /// A port nothing listens on (bound, then closed).
    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        close(fd)
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Runs a worker on a background thread; `join` waits for `run()` to return.
final class BackgroundWorker: @unchecked Sendable {
    let worker: Worker
    private let done = DispatchSemaphore(value: 0)

    init(_ worker: Worker) {
        self.worker = worker
        let thread = Thread { [worker, done] in
            worker.run()
            done.signal()
        }
        thread.start()
    }

    /// True if the worker returned within `timeout`.
    func join(timeout: Double = 30) -> Bool {
        done.wait(timeout: .now() + timeout) == .success
    }
}
