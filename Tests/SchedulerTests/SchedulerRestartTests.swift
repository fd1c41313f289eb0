import AsyncGateClient
import Foundation
import JSON
import Scheduler
import TestSupport
import Testing

/// Scheduler processes die at the worst moments and come back across several due times; every
/// run_at still fires exactly once (or, under skip / catch_up_one, exactly as the policy says).
@Suite struct SchedulerRestartTests {
    typealias H = SchedulerHarness

    static let policyRuns: [(MisfirePolicy, [Double])] = [
        (.skip, []),
        (.catchUpOne, [360]),
        (.catchUpAll, [180, 240, 300, 360]),
    ]

    @Test(arguments: policyRuns)
    func killedAndRestartedAcrossDueTimes(_ policy: MisfirePolicy, _ missedThatFire: [Double]) throws {
        let h = try H()
        let clock = ManualClock(H.t0)
        let id = try h.control("schedule.create", [
            "interval_seconds": 60, "start_at": .string(H.iso(60)), "misfire_policy": .string(policy.rawValue),
            "misfire_grace_seconds": 10, "task": ["type": "tick", "payload": ["n": 1]],
        ])
        #expect(try h.scheduler(clock: clock).runPass().controlTasks == 1)

        clock.set(H.at(60))
        #expect(try h.scheduler(clock: clock).runPass().dispatched == 1)

        // Dies after creating run 120's task, before recording it.
        clock.set(H.at(120))
        #expect(throws: SimulatedCrash.self) { try h.scheduler(clock: clock, crash: Crash.afterTaskCreated).runPass() }
        #expect(try h.firedRuns(id) == [H.iso(60), H.iso(120)])

        // Down while 180, 240, 300 and 360 come and go. The next process dies mid-plan...
        clock.set(H.at(400))
        #expect(throws: SimulatedCrash.self) { try h.scheduler(clock: clock, crash: Crash.beforePlanCommit).runPass() }
        // ...and the one after that does the work.
        let restarted = h.scheduler(clock: clock)
        let report = try restarted.runPass()
        #expect(report.planned == missedThatFire.count)
        #expect(report.skipped == 4 - missedThatFire.count)
        #expect(report.dispatched == missedThatFire.count + 1)  // + the orphaned run 120
        #expect(report.anomalies == 1)

        clock.set(H.at(425))  // 420 is 5 s late: on time
        #expect(try restarted.runPass().dispatched == 1)
        #expect(try restarted.runPass().dispatched == 0)

        let expected = ([60, 120] + missedThatFire + [420]).map(H.iso)
        #expect(try h.firedRuns(id) == expected)
        #expect(try h.count("SELECT count(*) FROM schedule_runs WHERE state = 'created'") == expected.count)
        #expect(try h.count("SELECT count(*) FROM schedule_runs WHERE state <> 'created'") == 0)
        // run 120 became one task, announced once
        let key = ScheduleRecord.idempotencyKey(scheduleID: id, runAt: H.at(120))
        #expect(try h.count("""
            SELECT count(*) FROM receipts r JOIN tasks t ON t.task_id = r.task_id
            WHERE r.receipt_type = 'task.assigned' AND t.idempotency_key = $1
            """, [key]) == 1)
        // the outage was noticed once, as an anomaly on the oldest overdue run
        let anomalies = try h.fixture.engineFixture.sql("SELECT kind, run_at FROM schedule_anomalies")
        #expect(anomalies.count == 1)
        #expect(anomalies.first?.string(0) == "schedule_overdue")
        #expect(anomalies.first?.date(1) == H.at(180))
        // ... and reached the owner's inbox as a system.anomaly receipt
        let receipts = try h.fixture.engineFixture.sql("SELECT body->>'kind', to_kind, to_id FROM receipts WHERE receipt_type = 'system.anomaly'")
        #expect(receipts.count == 1)
        #expect(receipts.first?.string(0) == "schedule_overdue")
        // fired tasks belong to the schedule's owner and carry the template
        let task = try h.client.listTasks(TaskQuery(type: "tick", limit: 1)).tasks.first
        #expect(task?.createdBy == H.alice)
        #expect(task?.payload == ["n": 1])
    }

    @Test func crashAfterApplyingAControlTaskDoesNotCreateTwice() throws {
        let h = try H()
        let clock = ManualClock(H.t0)
        let id = try h.control("schedule.create", ["interval_seconds": 60, "task": ["type": "tick"]])
        #expect(throws: SimulatedCrash.self) { try h.scheduler(clock: clock, crash: Crash.afterControlApplied).runPass() }
        #expect(try h.count("SELECT count(*) FROM schedules") == 1)
        // the control task's lease expires; the task is claimed again and applied again
        _ = try h.fixture.engineFixture.sql("UPDATE leases SET expires_at = now() - interval '1 second' WHERE released_at IS NULL")
        _ = try h.fixture.engine.sweepExpiredLeases()
        _ = try h.fixture.engineFixture.sql("UPDATE tasks SET next_eligible_at = now() - interval '1 second' WHERE status = 'queued'")
        #expect(try h.scheduler(clock: clock).runPass().controlTasks == 1)
        let info = try h.client.getTask(id)
        #expect(info.status == .succeeded)
        #expect(info.attempt == 0)
        #expect(info.result?.result["changed"] == false)  // found the schedule it made the first time
        #expect(try h.count("SELECT count(*) FROM schedules") == 1)
    }

    @Test func twoSchedulersShareTheWorkWithoutDuplicates() throws {
        let h = try H()
        let clock = ManualClock(H.t0)
        let id = try h.control("schedule.create", [
            "interval_seconds": 1, "start_at": .string(H.iso(1)), "misfire_policy": "catch_up_all", "task": ["type": "burst"],
        ])
        try h.scheduler(clock: clock).runPass()
        clock.set(H.at(40))
        let schedulers = [h.scheduler(clock: clock, workerID: "s1"), h.scheduler(clock: clock, workerID: "s2")]
        let results = ResultBox()
        let group = DispatchGroup()
        for s in schedulers {
            group.enter()
            Thread {
                var dispatched = 0
                for _ in 0..<3 { dispatched += (try? s.runPass().dispatched) ?? 0 }
                results.add(dispatched)
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(results.total == 40)  // each run dispatched by exactly one of them
        #expect(try h.firedRuns(id) == (1...40).map { H.iso(Double($0)) })
    }

    @Test func runLoopFiresInRealTimeAndStops() throws {
        let h = try H()
        let id = try h.control("schedule.create", ["interval_seconds": 1, "task": ["type": "heartbeat"]])
        let scheduler = h.scheduler(clock: SystemClock())
        let done = DispatchSemaphore(value: 0)
        Thread {
            scheduler.run()
            done.signal()
        }.start()
        let fired = try waitUntil(timeout: 30) { try h.firedRuns(id).count >= 2 }
        scheduler.stop()
        #expect(fired)
        #expect(done.wait(timeout: .now() + 10) == .success)
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func add(_ v: Int) {
        lock.lock()
        values.append(v)
        lock.unlock()
    }
    var total: Int {
        lock.lock()
        defer { lock.unlock() }
        return values.reduce(0, +)
    }
}

func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}
