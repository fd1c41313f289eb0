import AsyncGateClient
import Foundation
@testable import Scheduler
import Testing

/// The pure planning rules, one situation at a time. Interval of 60 s from t0; grace 10 s.
@Suite struct FiringPlannerTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let spec = ScheduleSpec.interval(seconds: 60, anchor: t0)

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var policy: MisfirePolicy
        var next: Double
        var now: Double
        var fire: [Double]
        var skipped: Int
        var newNext: Double
        var overdue: Double? = nil
        var maxFires = 100
        var testDescription: String { "\(policy.rawValue): \(name)" }
    }

    static let cases: [Case] = [
        Case(name: "not due yet", policy: .skip, next: 60, now: 59, fire: [], skipped: 0, newNext: 60),
        Case(name: "exactly due", policy: .skip, next: 60, now: 60, fire: [60], skipped: 0, newNext: 120),
        Case(name: "late within grace", policy: .skip, next: 60, now: 70, fire: [60], skipped: 0, newNext: 120),
        Case(name: "late beyond grace", policy: .skip, next: 60, now: 71, fire: [], skipped: 1, newNext: 120),
        Case(name: "backlog: all missed", policy: .skip, next: 60, now: 305, fire: [300], skipped: 4, newNext: 360, overdue: 60),
        Case(name: "backlog", policy: .catchUpOne, next: 60, now: 305, fire: [240, 300], skipped: 3, newNext: 360, overdue: 60),
        Case(name: "backlog", policy: .catchUpAll, next: 60, now: 305, fire: [60, 120, 180, 240, 300], skipped: 0, newNext: 360, overdue: 60),
        Case(name: "backlog, last one missed too", policy: .catchUpOne, next: 60, now: 320, fire: [300], skipped: 4, newNext: 360, overdue: 60),
        Case(name: "backlog, last one missed too", policy: .skip, next: 60, now: 320, fire: [], skipped: 5, newNext: 360, overdue: 60),
        Case(name: "capped per plan", policy: .catchUpAll, next: 60, now: 600, fire: [60, 120, 180], skipped: 0, newNext: 240,
             overdue: 60, maxFires: 3),
        Case(name: "two intervals late is not yet overdue", policy: .catchUpAll, next: 60, now: 180, fire: [60, 120, 180], skipped: 0,
             newNext: 240),
    ]

    @Test(arguments: cases)
    func plans(_ c: Case) {
        let plan = FiringPlanner.plan(spec: Self.spec, nextRunAt: Self.at(c.next), now: Self.at(c.now), policy: c.policy, grace: 10,
                                      maxFires: c.maxFires)
        #expect(plan.fire == c.fire.map(Self.at))
        #expect(plan.skippedCount == c.skipped)
        #expect(plan.nextRunAt == Self.at(c.newNext))
        #expect(plan.overdue?.runAt == c.overdue.map(Self.at))
        if let overdue = plan.overdue { #expect(overdue.intervalSeconds == 60) }
    }

    @Test func replanningAfterACappedPlanLosesNothing() {
        var next: Date? = Self.at(60)
        var fired: [Date] = []
        for _ in 0..<10 {
            let plan = FiringPlanner.plan(spec: Self.spec, nextRunAt: next, now: Self.at(600), policy: .catchUpAll, grace: 10, maxFires: 4)
            fired += plan.fire
            next = plan.nextRunAt
        }
        #expect(fired == stride(from: 60.0, through: 600, by: 60).map(Self.at))
    }

    @Test func hugeBacklogIsCheapForIntervals() {
        let spec = ScheduleSpec.interval(seconds: 1, anchor: Self.t0)
        let plan = FiringPlanner.plan(spec: spec, nextRunAt: Self.t0, now: Self.at(10_000_000), policy: .catchUpOne, grace: 0)
        // the latest missed run, then the on-time one; ten million missed runs are only counted
        #expect(plan.fire == [Self.at(9_999_999), Self.at(10_000_000)])
        #expect(plan.skippedCount == 9_999_999)
        #expect(plan.nextRunAt == Self.at(10_000_001))
    }

    @Test func cronBacklogUsesCronRuns() throws {
        let spec = ScheduleSpec.cron(try CronExpression("0 * * * *"), TimeZone(identifier: "UTC")!)
        let start = try #require(RFC3339.parse("2026-01-01T00:00:00Z"))
        let now = try #require(RFC3339.parse("2026-01-01T05:30:00Z"))
        let plan = FiringPlanner.plan(spec: spec, nextRunAt: start, now: now, policy: .catchUpOne, grace: 60)
        #expect(plan.fire.map { RFC3339.format($0) } == ["2026-01-01T05:00:00Z"])
        #expect(plan.skippedCount == 5)
        #expect(plan.nextRunAt.map { RFC3339.format($0) } == "2026-01-01T06:00:00Z")
        #expect(plan.overdue?.intervalSeconds == 3600)
    }

    @Test func intervalRunsAreAnchored() {
        #expect(Self.spec.nextRun(after: Self.at(-5)) == Self.t0)
        #expect(Self.spec.nextRun(after: Self.t0) == Self.at(60))
        #expect(Self.spec.nextRun(after: Self.at(61.5)) == Self.at(120))
        #expect(Self.spec.nextRun(after: Self.at(119.999)) == Self.at(120))
    }

    @Test func jitterIsDeterministicAndBounded() {
        let id = UUID()
        var seen = Set<Double>()
        for k in 0..<200 {
            let run = Self.at(Double(k * 60))
            let d = Jitter.delay(scheduleID: id, runAt: run, maxSeconds: 30)
            #expect(d >= 0 && d <= 30)
            #expect(d == Jitter.delay(scheduleID: id, runAt: run, maxSeconds: 30))
            seen.insert(d)
        }
        #expect(seen.count > 150)  // spread out, not a constant
        #expect(Jitter.delay(scheduleID: id, runAt: Self.t0, maxSeconds: 0) == 0)
    }

    @Test func idempotencyKeyNamesScheduleAndRun() throws {
        let id = try #require(UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF"))
        #expect(ScheduleRecord.idempotencyKey(scheduleID: id, runAt: Self.t0) == "schedule:6f9619ff-8b86-d011-b42d-00c04fc964ff:2027-01-15T08:00:00Z")
    }
}
