import Logging

extension RedisRateLimiter {
    /// While failing, only one call per backoff period probes Redis (it moves `retryAt` forward before
    /// trying), so an outage never turns every request into a connect attempt.
    func mayTryRedis(at now: Double) -> Bool {
        health.withLock { health in
            guard health.failing else { return true }
            guard now >= health.retryAt else { return false }
            health.retryAt = now + reconnectBackoffSeconds
            return true
        }
    }

    func recordSuccess() {
        let recovered = health.withLock { health in
            defer { health.failing = false }
            return health.failing
        }
        if recovered {
            logger.info("rate limiter: Redis reachable again; enforcing shared limits")
        }
    }

    /// Logs once per outage at warning — fail-open means limits are not enforced, which an operator
    /// must learn — and each further failure at debug. Messages carry codes and redacted text only.
    func recordFailure(_ error: RateLimitError, at now: Double) {
        let started = health.withLock { health in
            defer {
                health.failing = true
                health.retryAt = max(health.retryAt, now + reconnectBackoffSeconds)
            }
            return !health.failing
        }
        let metadata: Logger.Metadata = [
            "error.code": "\(error.code)",
            "error.message": "\(error.message)",
            "rate_limit.fail_policy": "\(failOpen ? "open" : "closed")",
        ]
        if started {
            logger.warning("rate limiter: Redis unavailable; \(failOpen ? "allowing" : "refusing") calls until it recovers",
                           metadata: metadata)
        } else {
            logger.debug("rate limiter: Redis still unavailable", metadata: metadata)
        }
    }
}
