import Foundation
import RateLimit

public struct APIConfiguration: Sendable {
    public enum Authentication: Sendable {
        /// No credential required; X-Tenant-ID selects the tenant. Development only, loudly logged.
        case insecureDevelopment
        /// One shared key (Bearer or X-API-Key) for a simple, single-tenant deployment; per-principal
        /// keys from `asyncgate keys` work as well.
        case sharedKey(String)
        /// Only per-principal keys from `asyncgate keys`.
        case apiKeysOnly
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
    /// Origins allowed by CORS (exact match, e.g. "https://app.example.com"); empty: none.
    public var corsAllowedOrigins: [String] = []
    /// How long a key lookup (and a rejection) is cached; revocation takes effect within it.
    public var credentialCacheSeconds: Double = 5
    /// Per-credential (per-IP before authentication) limiter; nil disables rate limiting.
    public var rateLimiter: (any RateLimiter)?
    public init() {}
}
