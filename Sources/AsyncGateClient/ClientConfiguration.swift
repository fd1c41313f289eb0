import Foundation

/// Everything an `AsyncGateClient` needs to know about its server and how to talk to it.
public struct ClientConfiguration: Sendable {
    public var server: ServerAddress
    /// Sent as `Authorization: Bearer <key>`; nil only against an insecure development server.
    public var apiKey: String?
    /// Sent as `X-Tenant-ID`. The server honours it only in insecure development mode (with real
    /// credentials the tenant comes from the key), so setting it is harmless otherwise.
    public var tenantID: UUID?
    /// Opening a TCP connection.
    public var connectTimeout: Double = 5
    /// One try of one call, from the first byte written to the last byte read. A long-polling claim
    /// gets its `wait_seconds` on top.
    public var requestTimeout: Double = 30
    public var retry = RetryPolicy()
    /// Idle keep-alive connections kept for reuse.
    public var maxIdleConnections = 8
    /// An idle connection older than this is closed rather than reused (the server closes idle
    /// connections after 60 s by default; reusing one it is about to close wastes a try).
    public var maxIdleSeconds: Double = 30
    /// Largest response body accepted.
    public var maxResponseBytes = 64 << 20
    public var userAgent = "asyncgate-swift-client/0.1"

    public init(server: ServerAddress, apiKey: String? = nil, tenantID: UUID? = nil) {
        self.server = server
        self.apiKey = apiKey
        self.tenantID = tenantID
    }

    public init(url: String, apiKey: String? = nil, tenantID: UUID? = nil) throws(AsyncGateError) {
        self.init(server: try ServerAddress(url: url), apiKey: apiKey, tenantID: tenantID)
    }
}
