import Logging
import Synchronization

/// Sliding-window limiter shared by every server instance that points at the same Redis: each check
/// is one atomic script run (EVALSHA, falling back to EVAL when Redis has not cached the script), so
/// instances enforce one combined limit.
///
/// Redis trouble (unreachable, slow past `timeoutSeconds`, error replies, malformed replies) never
/// throws or crashes: the call gets the fail-open or fail-closed decision (`fallbackDecision`). After
/// a failure the limiter stops trying Redis for `reconnectBackoffSeconds` — so an outage costs each
/// request nothing rather than a timeout — then lets one call probe; the first success ends the outage.
public final class RedisRateLimiter: RateLimiter {
    struct Health: Sendable {
        var failing = false
        /// While failing: monotonic time before which no call tries Redis.
        var retryAt: Double = 0
    }

    let window: SlidingWindow
    let failOpen: Bool
    let keyPrefix: String
    let timeoutSeconds: Double
    let reconnectBackoffSeconds: Double
    let pool: RedisConnectionPool
    let logger: Logger
    let health = Mutex(Health())

    /// url: redis://[:password@]host:port[/db]. failOpen: when Redis is unreachable, allow (true) or deny (false).
    /// - Parameters:
    ///   - timeoutSeconds: bound on one whole check (connect, AUTH/SELECT if needed, script).
    ///   - reconnectBackoffSeconds: after a failure, how long calls skip Redis before one probes again.
    ///   - maxIdleConnections: connections kept open for reuse.
    /// - Throws: `RateLimitError(.invalidURL)` for a malformed URL (message never includes the URL).
    public init(url: String, limit: Int, windowSeconds: Int, failOpen: Bool, keyPrefix: String = "asyncgate:rl:",
                timeoutSeconds: Double = 0.25, reconnectBackoffSeconds: Double = 1.0, maxIdleConnections: Int = 16,
                logger: Logger) throws {
        let parsed = try RedisURL(parsing: url)
        self.window = SlidingWindow(limit: limit, windowSeconds: windowSeconds)
        self.failOpen = failOpen
        self.keyPrefix = keyPrefix
        self.timeoutSeconds = max(0.001, timeoutSeconds)
        self.reconnectBackoffSeconds = max(0, reconnectBackoffSeconds)
        self.pool = RedisConnectionPool(url: parsed, maxIdle: max(1, maxIdleConnections))
        var logger = logger
        logger[metadataKey: "redis.address"] = "\(parsed.redacted)"
        self.logger = logger
    }

    public func check(key: String) -> RateLimitDecision {
        let start = MonotonicClock.now()
        guard mayTryRedis(at: start) else { return fallbackDecision }
        do {
            let decision = try evaluate(key: RateLimitKey.normalized(key), deadline: start + timeoutSeconds)
            recordSuccess()
            return decision
        } catch {
            recordFailure(error, at: MonotonicClock.now())
            return fallbackDecision
        }
    }

    /// False while an outage is being ridden out (calls get the fallback without touching Redis).
    public var isBackendAvailable: Bool {
        health.withLock { !$0.failing }
    }

    /// Closes pooled connections (e.g. at shutdown). The limiter stays usable; it reconnects on demand.
    public func closeConnections() {
        pool.closeAll()
    }

    /// What a call gets when Redis cannot decide. Open: allowed, as if first in a fresh window.
    /// Closed: refused, told to come back once Redis will have been retried.
    public var fallbackDecision: RateLimitDecision {
        let limit = Int(window.limit)
        if failOpen {
            return RateLimitDecision(allowed: true, limit: limit, remaining: limit - 1,
                                     resetSeconds: Int(window.windowMs / 1000), retryAfterSeconds: nil)
        }
        let retry = SlidingWindow.wholeSeconds(Int64((reconnectBackoffSeconds * 1000).rounded(.up)))
        return RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetSeconds: retry, retryAfterSeconds: retry)
    }

    private func evaluate(key: String, deadline: Double) throws(RateLimitError) -> RateLimitDecision {
        let arguments = [keyPrefix + key, String(window.limit), String(window.windowMs)]
        let reply = try pool.withConnection(deadline: deadline) { connection throws(RateLimitError) in
            let cached = try connection.send(["EVALSHA", Self.scriptSHA, "0"] + arguments, deadline: deadline)
            // NOSCRIPT: this Redis has not seen the script (restart, SCRIPT FLUSH); EVAL also caches it.
            guard cached.errorPrefix == "NOSCRIPT" else { return cached }
            return try connection.send(["EVAL", Self.script, "0"] + arguments, deadline: deadline)
        }
        return try interpret(reply)
    }

    func interpret(_ reply: RESPValue) throws(RateLimitError) -> RateLimitDecision {
        if case .error(let message) = reply {
            throw RateLimitError(.serverError, String(message.prefix(200)))
        }
        guard case .array(let items?) = reply, items.count == 4,
              case .integer(let admitted) = items[0], admitted == 0 || admitted == 1,
              case .integer(let previous) = items[1], case .integer(let current) = items[2],
              case .integer(let elapsed) = items[3]
        else {
            throw RateLimitError(.protocolViolation, "unexpected reply shape from rate-limit script")
        }
        return window.decision(allowed: admitted == 1, previous: previous, current: current, elapsedMs: elapsed)
    }
}
