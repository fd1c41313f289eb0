import Glibc

/// Seconds on the monotonic clock: immune to wall-clock jumps, which would otherwise reset or
/// stretch windows.
@usableFromInline
enum MonotonicClock {
    @usableFromInline
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
    }
}
