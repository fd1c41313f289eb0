/// Sliding-window-counter arithmetic, shared by both backends so they answer identically.
///
/// Time is cut into fixed windows of `windowMs`. The estimated usage at `elapsedMs` into the current
/// window is `previous × (windowMs − elapsedMs) / windowMs + current`: the previous window's count,
/// weighted by how much of it still overlaps the sliding window ending now. Only admitted calls are
/// counted, so a client hammering while refused does not push its own `Retry-After` further out, and
/// both counts stay <= `limit`.
///
/// Everything is integer arithmetic on milliseconds (multiplied through by `windowMs`), so the Redis
/// Lua script — whose numbers are doubles, exact below 2^53 — and this type reach the same verdict.
struct SlidingWindow: Sendable, Equatable {
    let limit: Int64
    let windowMs: Int64

    init(limit: Int, windowSeconds: Int) {
        precondition(RateLimitBounds.limit.contains(limit), "rate limit must be in \(RateLimitBounds.limit), got \(limit)")
        precondition(RateLimitBounds.windowSeconds.contains(windowSeconds),
                     "rate-limit window must be in \(RateLimitBounds.windowSeconds) seconds, got \(windowSeconds)")
        self.limit = Int64(limit)
        self.windowMs = Int64(windowSeconds) * 1000
    }

    /// Whether one more call fits: `previous × (W − e) + (current + 1) × W <= limit × W`.
    func admits(previous: Int64, current: Int64, elapsedMs: Int64) -> Bool {
        let (p, c, e) = clamp(previous, current, elapsedMs)
        return p * (windowMs - e) + (c + 1) * windowMs <= limit * windowMs
    }

    /// The decision given the counts *after* this call was (or was not) counted.
    func decision(allowed: Bool, previous: Int64, current: Int64, elapsedMs: Int64) -> RateLimitDecision {
        let (p, c, e) = clamp(previous, current, elapsedMs)
        // Usage rounded up: a fractional leftover of an old call still occupies its slot.
        let usedScaled = p * (windowMs - e) + c * windowMs
        let used = (usedScaled + windowMs - 1) / windowMs
        let remaining = allowed ? max(0, limit - used) : 0
        let resetMs = remaining == 0
            ? millisecondsUntilAdmission(previous: p, current: c, elapsedMs: e)
            : millisecondsUntilEmpty(previous: p, current: c, elapsedMs: e)
        let reset = Self.wholeSeconds(resetMs)
        return RateLimitDecision(
            allowed: allowed, limit: Int(limit), remaining: Int(remaining),
            resetSeconds: reset, retryAfterSeconds: allowed ? nil : reset)
    }

    /// Time until `admits` first turns true, assuming no further admitted calls meanwhile.
    func millisecondsUntilAdmission(previous p: Int64, current c: Int64, elapsedMs e: Int64) -> Int64 {
        if admits(previous: p, current: c, elapsedMs: e) { return 0 }
        // Still in this window: need p × (W − e') <= (limit − c − 1) × W.
        let slack = limit - c - 1
        if slack >= 0, p > 0 {
            let eMin = windowMs - (slack * windowMs) / p
            if eMin < windowMs { return eMin - e }
        }
        // Next window: the current count becomes the weighted one, need c × (W − e'') <= (limit − 1) × W.
        let untilNext = windowMs - e
        if c == 0 { return untilNext }
        let eNext = windowMs - ((limit - 1) * windowMs) / c
        if eNext < windowMs { return untilNext + eNext }
        // The window after next starts empty.
        return untilNext + windowMs
    }

    /// Time until every counted call has aged out of the sliding window.
    func millisecondsUntilEmpty(previous p: Int64, current c: Int64, elapsedMs e: Int64) -> Int64 {
        if c > 0 { return 2 * windowMs - e }
        if p > 0 { return windowMs - e }
        return 0
    }

    /// Splits a millisecond timestamp into (window index, elapsed in window).
    func position(atMs nowMs: Int64) -> (window: Int64, elapsedMs: Int64) {
        let t = max(0, nowMs)
        return (t / windowMs, t % windowMs)
    }

    /// Whole seconds, rounded up, at least 1 (a header of 0 would invite an immediate retry).
    static func wholeSeconds(_ ms: Int64) -> Int {
        Int(max(1, (ms + 999) / 1000))
    }

    /// Counts are <= limit in normal operation; clamping keeps products overflow-free even if the
    /// backend hands back something odd.
    private func clamp(_ p: Int64, _ c: Int64, _ e: Int64) -> (Int64, Int64, Int64) {
        (min(max(p, 0), limit), min(max(c, 0), limit), min(max(e, 0), windowMs - 1))
    }
}
