import Foundation

/// When a schedule fires: every N seconds from an anchor, or by a cron expression in a time zone.
/// Run times (`run_at`) are pure functions of the spec, so any scheduler process — or the same one
/// after a restart — computes exactly the same sequence.
public enum ScheduleSpec: Sendable, Equatable {
    /// run_at = anchor + k * seconds, k >= 0 (whole seconds).
    case interval(seconds: Int, anchor: Date)
    case cron(CronExpression, TimeZone)

    /// The first run strictly after `instant`.
    public func nextRun(after instant: Date) -> Date? {
        switch self {
        case .interval(let seconds, let anchor):
            let a = anchor.timeIntervalSince1970
            let t = instant.timeIntervalSince1970
            guard t >= a else { return anchor }
            let k = ((t - a) / Double(seconds)).rounded(.down) + 1
            return Date(timeIntervalSince1970: a + k * Double(seconds))
        case .cron(let expression, let zone):
            return expression.nextRun(after: instant, in: zone)
        }
    }

    /// The last run at or before `instant` that is >= `from` (a run itself), or nil. Intervals
    /// compute it directly; cron walks (runs are at least a minute apart, so a backlog stays cheap).
    func lastRun(from: Date, atOrBefore instant: Date) -> (last: Date, count: Int)? {
        guard from <= instant else { return nil }
        switch self {
        case .interval(let seconds, _):
            let k = Int(((instant.timeIntervalSince1970 - from.timeIntervalSince1970) / Double(seconds)).rounded(.down))
            return (from.addingTimeInterval(Double(k * seconds)), k + 1)
        case .cron:
            var last = from
            var count = 1
            while let next = nextRun(after: last), next <= instant {
                last = next
                count += 1
            }
            return (last, count)
        }
    }

    /// The spacing of runs around `run` (for "overdue by more than two intervals").
    public func interval(at run: Date) -> Double? {
        switch self {
        case .interval(let seconds, _): return Double(seconds)
        case .cron: return nextRun(after: run).map { $0.timeIntervalSince(run) }
        }
    }

    /// Identity comparison for cron specs goes by expression text and zone identifier.
    public static func == (a: ScheduleSpec, b: ScheduleSpec) -> Bool {
        switch (a, b) {
        case let (.interval(s1, a1), .interval(s2, a2)): return s1 == s2 && a1 == a2
        case let (.cron(e1, z1), .cron(e2, z2)): return e1 == e2 && z1.identifier == z2.identifier
        default: return false
        }
    }
}

/// What happens to runs that were due while nothing was firing (scheduler down, paused DB, ...).
/// A run is *missed* when it is later than the schedule's grace period.
public enum MisfirePolicy: String, Sendable, CaseIterable {
    /// Missed runs are dropped; the schedule continues with the next run.
    case skip
    /// All missed runs collapse into one firing, for the most recent missed run_at.
    case catchUpOne = "catch_up_one"
    /// Every missed run fires, oldest first.
    case catchUpAll = "catch_up_all"
}
