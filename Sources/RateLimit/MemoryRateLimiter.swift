import Synchronization

/// Sliding-window limiter for a single server instance: per-key counters in a mutex-protected
/// dictionary. Memory is bounded: keys whose counts have aged out are swept once per window, and
/// the table never holds more than `maxKeys` entries (see `MemoryRateLimiter+Eviction.swift`).
public final class MemoryRateLimiter: RateLimiter {
    /// Counting is a lock and a dictionary lookup: never waits on anything.
    public var mayBlock: Bool { false }

    struct Entry: Sendable, Equatable {
        var window: Int64
        var current: Int64
        var previous: Int64
    }

    struct State: Sendable {
        var entries: [String: Entry] = [:]
        /// The window in which stale entries were last swept.
        var sweptWindow: Int64 = .min
    }

    let window: SlidingWindow
    let maxKeys: Int
    private let now: @Sendable () -> Double
    let state = Mutex(State())

    /// - Parameters:
    ///   - limit: calls admitted per window (1...1_000_000_000).
    ///   - windowSeconds: window length (1 second ... 366 days).
    ///   - maxKeys: hard cap on tracked keys; beyond it the least useful entries are dropped.
    ///   - now: seconds on a monotonic clock; injectable for tests.
    public init(limit: Int, windowSeconds: Int, maxKeys: Int = 100_000,
                now: @escaping @Sendable () -> Double = { MonotonicClock.now() }) {
        precondition(maxKeys >= 1, "maxKeys must be positive")
        self.window = SlidingWindow(limit: limit, windowSeconds: windowSeconds)
        self.maxKeys = maxKeys
        self.now = now
    }

    public func check(key: String) -> RateLimitDecision {
        let key = RateLimitKey.normalized(key)
        let (index, elapsed) = window.position(atMs: Self.milliseconds(now()))
        return state.withLock { state in
            if index > state.sweptWindow {
                Self.sweepStale(&state, currentWindow: index)
                state.sweptWindow = index
            }
            var entry = (state.entries[key] ?? Entry(window: index, current: 0, previous: 0)).rolled(to: index)
            let allowed = window.admits(previous: entry.previous, current: entry.current, elapsedMs: elapsed)
            if allowed { entry.current += 1 }
            if state.entries[key] == nil, state.entries.count >= maxKeys {
                Self.evict(&state, currentWindow: index, keepAtMost: Self.evictionTarget(maxKeys))
            }
            state.entries[key] = entry
            return window.decision(allowed: allowed, previous: entry.previous, current: entry.current, elapsedMs: elapsed)
        }
    }

    /// Number of keys currently tracked (for tests and metrics).
    public var trackedKeys: Int {
        state.withLock { $0.entries.count }
    }

    static func milliseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int64(min(seconds * 1000, 9e15).rounded(.down))
    }
}

extension MemoryRateLimiter.Entry {
    /// The entry as seen from `index`: one window on, the current count becomes the previous one;
    /// further on, both have aged out. A clock that steps back never rolls counts backwards.
    func rolled(to index: Int64) -> Self {
        if index <= window { return self }
        if index == window + 1 { return Self(window: index, current: 0, previous: current) }
        return Self(window: index, current: 0, previous: 0)
    }
}
