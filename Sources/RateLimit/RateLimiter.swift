/// A per-key call counter. Keys are opaque: the API layer passes a credential id (or the client IP
/// before authentication).
public protocol RateLimiter: Sendable {
    /// Counts one call for `key` and decides. Synchronous; may block briefly (Redis: bounded by a short
    /// timeout). Never throws: backend trouble is handled by the fail-open/closed policy.
    func check(key: String) -> RateLimitDecision
    /// Whether `check` may wait on something outside the process (a network round trip). A limiter
    /// that never does may be asked on an HTTP I/O thread.
    var mayBlock: Bool { get }
}

extension RateLimiter {
    public var mayBlock: Bool { true }
}
