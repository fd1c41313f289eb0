/// Retry backoff of SPEC §4: the n-th retry (attempt n before the increment) waits
/// `base * 2^n` seconds, capped; the first retry waits exactly the base.
public enum RetryPolicy {
    public static func backoffSeconds(base: Int, attempt: Int, cap: Int) -> Int {
        guard base > 0 else { return 0 }
        let shift = min(max(attempt, 0), 30)
        let (value, overflow) = base.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? cap : min(value, cap)
    }

    /// A retryable failure requeues only while attempts remain after this one.
    public static func shouldRequeue(retryable: Bool, attempt: Int, maxAttempts: Int) -> Bool {
        retryable && attempt + 1 < maxAttempts
    }
}
