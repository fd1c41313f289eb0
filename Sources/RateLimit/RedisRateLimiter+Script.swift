extension RedisRateLimiter {
    /// One atomic step of the sliding-window counter (see `SlidingWindow`, whose integer arithmetic
    /// this mirrors exactly: Lua numbers are doubles, exact for these magnitudes).
    ///
    /// ARGV: key base, limit, window length in ms. Returns {admitted 0|1, previous, current, elapsed ms}.
    /// Windows are cut from Redis's own clock (TIME), not the callers', so every server instance agrees
    /// on window boundaries whatever their clock skew. The two window keys are derived inside the
    /// script, which standalone Redis allows (Redis Cluster would not; it is not supported).
    /// Only admitted calls are counted; the current window's key lives two windows so that it can
    /// serve as the next window's "previous".
    static let script = """
        if redis.replicate_commands then redis.replicate_commands() end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit = tonumber(ARGV[2])
        local w = tonumber(ARGV[3])
        local idx = math.floor(now / w)
        local elapsed = now - idx * w
        local curKey = ARGV[1] .. ':' .. string.format('%d', idx)
        local prevKey = ARGV[1] .. ':' .. string.format('%d', idx - 1)
        local prev = tonumber(redis.call('GET', prevKey) or '0') or 0
        local cur = tonumber(redis.call('GET', curKey) or '0') or 0
        local admitted = 0
        if prev * (w - elapsed) + (cur + 1) * w <= limit * w then
          cur = redis.call('INCR', curKey)
          redis.call('PEXPIRE', curKey, 2 * w)
          admitted = 1
        end
        return {admitted, prev, cur, elapsed}
        """

    static let scriptSHA = SHA1.hex(script)
}
