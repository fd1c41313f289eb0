extension MemoryRateLimiter {
    /// Drops entries that no longer affect any decision: last touched two or more windows ago, so both
    /// of their counts have aged out. Runs once per window, so its O(n) cost is amortised.
    static func sweepStale(_ state: inout State, currentWindow: Int64) {
        state.entries = state.entries.filter { $0.value.window >= currentWindow - 1 }
    }

    /// Makes room when `maxKeys` is reached (many distinct keys within one window, e.g. a flood of
    /// client IPs). Evicting an entry forgets its count, so prefer those that matter least: stale
    /// ones, then ones untouched in this window (only a decaying previous count), then any. Evicting
    /// down to a fraction below the cap keeps this O(n) pass from running on every new key.
    static func evict(_ state: inout State, currentWindow: Int64, keepAtMost target: Int) {
        sweepStale(&state, currentWindow: currentWindow)
        if state.entries.count <= target { return }
        state.entries = state.entries.filter { $0.value.window >= currentWindow }
        if state.entries.count <= target { return }
        let excess = state.entries.count - target
        for key in Array(state.entries.keys.prefix(excess)) {
            state.entries[key] = nil
        }
    }

    static func evictionTarget(_ maxKeys: Int) -> Int {
        max(0, maxKeys - max(1, maxKeys / 10))
    }
}
