import Foundation

public struct APIConfiguration: Sendable {
    public enum Authentication: Sendable {
        /// No credential required; X-Tenant-ID selects the tenant. Development only, loudly logged.
        case insecureDevelopment
        /// One shared key (Bearer or X-API-Key) for a simple, single-tenant deployment.
        case sharedKey(String)
    }
    public var authentication: Authentication = .insecureDevelopment
    public var environment = "development"
    public var version = "0.1.0"
    /// Threads that run engine calls; should equal the database pool size.
    public var workerThreads = 16
    /// Requests waiting for a worker thread before new ones get 503 + Retry-After.
    public var maxQueuedRequests = 4096
    /// Tenant of the shared key.
    public var sharedKeyTenant = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!
    public init() {}
}
