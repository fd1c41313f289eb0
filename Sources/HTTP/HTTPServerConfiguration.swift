import Foundation

/// Limits, timeouts (seconds) and addresses of an `HTTPServer`.
public struct HTTPServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks an ephemeral port (see `HTTPServer.localPort`).
    public var port: Int = 8080
    public var ioThreads: Int = HTTPServerConfiguration.activeProcessorCount
    /// Longest request line, CRLF excluded → 414.
    public var maxRequestLineBytes = 8192
    /// Header section bytes after the request line → 431.
    public var maxHeaderBytes = 32768
    public var maxHeaderCount = 100
    /// Declared (Content-Length) or de-chunked body bytes → 413.
    public var maxBodyBytes = 2 * 1024 * 1024
    public var maxRequestsPerConnection = 10_000
    /// Beyond this, new connections get a 503 and are closed.
    public var maxConnections = 20_000
    /// Slowloris guard: a request head must complete this long after its first byte (408).
    public var headerTimeout: Double = 10
    /// A body must complete this long after its head (408).
    public var bodyTimeout: Double = 30
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Double = 60
    /// A response must be fully written this long after it started (a client that never reads).
    public var writeTimeout: Double = 30
    /// After `shutdown()`, in-flight requests get this long to finish before connections are cut.
    public var shutdownGracePeriod: Double = 10

    public init() {}

    /// CPUs this process may run on (affinity and cgroup quota respected).
    public static var activeProcessorCount: Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}
