import Foundation

/// The scheduler's notion of now. Injected so tests can move time across due runs instead of
/// waiting for them; every time the scheduler stores is read from here (never SQL now()).
public protocol SchedulerClock: Sendable {
    func now() -> Date
}

public struct SystemClock: SchedulerClock {
    public init() {}
    public func now() -> Date { Date() }
}
