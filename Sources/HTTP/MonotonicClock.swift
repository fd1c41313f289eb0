import Glibc

/// Seconds on the monotonic clock (immune to wall-clock jumps), for deadlines.
enum MonotonicClock {
    @inline(__always)
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
    }
}
