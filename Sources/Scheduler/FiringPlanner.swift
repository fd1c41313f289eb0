import Foundation

/// What to do about a schedule's due runs at a given moment. Pure: the same inputs always give
/// the same plan, which is what makes planning safe to repeat after a crash.
public struct FiringPlan: Sendable, Equatable {
    /// run_ats to fire now, oldest first.
    public var fire: [Date]
    /// Missed runs dropped by the policy.
    public var skippedCount: Int
    /// The new pointer: the first run_at not planned yet (nil: the schedule never fires again).
    public var nextRunAt: Date?
    /// Set when the oldest due run is overdue by more than two intervals.
    public var overdue: Overdue?

    public struct Overdue: Sendable, Equatable {
        public var runAt: Date
        public var lateSeconds: Double
        public var intervalSeconds: Double
    }
}

public enum FiringPlanner {
    /// Plans the runs from `nextRunAt` up to `now`.
    ///
    /// Runs at most `grace` seconds late are on time and always fire; later ones are missed and
    /// handled by `policy`. `catch_up_all` fires at most `maxFires` runs per plan; the pointer then
    /// stops at the first unplanned run, so the rest come in the next plan and none is lost.
    public static func plan(spec: ScheduleSpec, nextRunAt: Date?, now: Date, policy: MisfirePolicy,
                            grace: Double, maxFires: Int = 100) -> FiringPlan {
        let maxFires = max(1, maxFires)  // at least one: every plan of a due schedule makes progress
        guard let first = nextRunAt, first <= now else {
            return FiringPlan(fire: [], skippedCount: 0, nextRunAt: nextRunAt, overdue: nil)
        }
        var plan = FiringPlan(fire: [], skippedCount: 0, nextRunAt: nil, overdue: nil)
        if let interval = spec.interval(at: first), now.timeIntervalSince(first) > 2 * interval {
            plan.overdue = .init(runAt: first, lateSeconds: now.timeIntervalSince(first), intervalSeconds: interval)
        }
        let cutoff = now.addingTimeInterval(-grace)
        var cursor: Date? = first
        // Missed runs (older than the grace period).
        if first < cutoff, policy != .catchUpAll, let (lastMissed, count) = spec.lastRun(from: first, atOrBefore: cutoff.addingTimeInterval(-0.000_001)) {
            switch policy {
            case .skip:
                plan.skippedCount = count
            case .catchUpOne:
                plan.fire.append(lastMissed)
                plan.skippedCount = count - 1
            case .catchUpAll:
                break
            }
            cursor = spec.nextRun(after: lastMissed)
        }
        // On-time runs, and under catch_up_all every missed one too.
        while let run = cursor, run <= now {
            if plan.fire.count >= maxFires {
                plan.nextRunAt = run
                return plan
            }
            plan.fire.append(run)
            cursor = spec.nextRun(after: run)
        }
        plan.nextRunAt = cursor
        return plan
    }
}

/// Deterministic jitter: the same schedule and run_at always get the same delay in [0, max], so a
/// restarted scheduler dispatches a planned run at the same moment. FNV-1a over id and run time.
public enum Jitter {
    public static func delay(scheduleID: UUID, runAt: Date, maxSeconds: Int) -> Double {
        guard maxSeconds > 0 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array("\(scheduleID.uuidString.lowercased())|\(Int64(runAt.timeIntervalSince1970 * 1000))".utf8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let fraction = Double(hash % 1_000_000) / 1_000_000
        return (fraction * Double(maxSeconds) * 1000).rounded() / 1000
    }
}
