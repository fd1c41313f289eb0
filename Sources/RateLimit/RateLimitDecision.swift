/// The outcome of one rate-limit check, carrying everything the HTTP layer needs for the
/// `X-RateLimit-*` headers and, when refused, the 429's `Retry-After`.
public struct RateLimitDecision: Sendable, Equatable {
    /// Whether this call may proceed.
    public var allowed: Bool
    /// Calls permitted per window (`X-RateLimit-Limit`).
    public var limit: Int
    /// Calls still available right now, after this one (`X-RateLimit-Remaining`, never negative).
    public var remaining: Int
    /// `X-RateLimit-Reset`, in whole seconds (always >= 1):
    /// - when `remaining == 0` (refused, or this call used the last slot): until the next call
    ///   would be admitted;
    /// - otherwise: until the whole quota is available again (past calls have aged out).
    public var resetSeconds: Int
    /// `Retry-After` in whole seconds when `allowed` is false (>= 1); nil when allowed.
    public var retryAfterSeconds: Int?

    public init(allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }
}
