import Synchronization

/// A clock the test moves by hand, injected into `MemoryRateLimiter`.
final class ManualClock: Sendable {
    private let seconds: Mutex<Double>

    init(_ start: Double) { seconds = Mutex(start) }

    var now: Double { seconds.withLock { $0 } }

    func set(_ value: Double) { seconds.withLock { $0 = value } }

    func advance(by delta: Double) { seconds.withLock { $0 += delta } }

    var closure: @Sendable () -> Double { { [self] in self.now } }
}
