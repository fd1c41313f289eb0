import AsyncGateClient
import Foundation
import JSON
import Scheduler
import TestSupport
import Testing

/// schedule.create|pause|resume|delete|status, as TASKERs submit them through the REST API.
@Suite struct SchedulerControlTests {
    typealias H = SchedulerHarness

    func result(_ h: H, _ id: UUID) throws -> JSON {
        let info = try h.client.getTask(id)
        #expect(info.status == .succeeded, "control task \(info.status): \(info.result?.error ?? .null)")
        return info.result?.result ?? .null
    }

    func failure(_ h: H, _ id: UUID) throws -> JSON {
        let info = try h.client.getTask(id)
        #expect(info.status == .failed)
        #expect(info.attempt == 0)  // terminal at once: retrying will not fix it
        return info.result?.error ?? .null
    }

    @Test func lifecycle() throws {
        let h = try H()
        let clock = ManualClock(H.t0)
        let s = h.scheduler(clock: clock)
        let id = try h.control("schedule.create", [
            "name": "every minute", "interval_seconds": 60, "start_at": .string(H.iso(60)), "misfire_policy": "skip",
            "task": ["type": "report", "payload": ["k": 1], "priority": 3],
        ])
        #expect(try s.runPass().controlTasks == 1)
        let created = try result(h, id)
        #expect(created["action"] == "create")
        #expect(created["schedule"]?["schedule_id"]?.stringValue == id.uuidString.lowercased())  // defaults to the control task's id
        #expect(created["schedule"]?["next_run_at"]?.stringValue == H.iso(60))
        #expect(created["schedule"]?["status"] == "active")
        let control = try h.client.getTask(id)
        #expect(control.result?.artifacts[0]?["uri"]?.stringValue == "asyncgate-scheduler://schedules/\(id.uuidString.lowercased())")

        clock.set(H.at(60))
        #expect(try s.runPass().dispatched == 1)
        let fired = try #require(try h.client.listTasks(TaskQuery(type: "report")).tasks.first)
        #expect(fired.createdBy == H.alice && fired.payload == ["k": 1] && fired.priority == 3)
        #expect(fired.idempotencyKey == ScheduleRecord.idempotencyKey(scheduleID: id, runAt: H.at(60)))

        let status = try h.control("schedule.status", ["schedule_id": .string(id.uuidString)])
        try s.runPass()
        let st = try result(h, status)
        #expect(st["schedule"]?["fired_count"] == 1)
        #expect(st["recent_runs"]?[0]?["state"] == "created")
        #expect(st["recent_runs"]?[0]?["task_id"]?.stringValue == fired.taskID.uuidString.lowercased())

        let pause = try h.control("schedule.pause", ["schedule_id": .string(id.uuidString)])
        try s.runPass()
        #expect(try result(h, pause)["schedule"]?["status"] == "paused")
        clock.set(H.at(250))
        #expect(try s.runPass().dispatched == 0)

        let resume = try h.control("schedule.resume", ["schedule_id": .string(id.uuidString)])
        try s.runPass()
        // runs that fell in the pause are not caught up
        #expect(try result(h, resume)["schedule"]?["next_run_at"]?.stringValue == H.iso(300))
        clock.set(H.at(300))
        #expect(try s.runPass().dispatched == 1)

        let delete = try h.control("schedule.delete", ["schedule_id": .string(id.uuidString)])
        try s.runPass()
        #expect(try result(h, delete)["schedule"]?["status"] == "deleted")
        clock.set(H.at(400))
        #expect(try s.runPass().dispatched == 0)
        #expect(try h.firedRuns(id) == [H.iso(60), H.iso(300)])

        // deleting again is a no-op; pausing a deleted schedule is "not found"
        let again = try h.control("schedule.delete", ["schedule_id": .string(id.uuidString)])
        let gone = try h.control("schedule.pause", ["schedule_id": .string(id.uuidString)])
        try s.runPass()
        #expect(try result(h, again)["changed"] == false)
        #expect(try failure(h, gone)["kind"] == "not_found")
    }

    @Test func cronScheduleInATimeZone() throws {
        let h = try H()
        let clock = ManualClock(try #require(RFC3339.parse("2024-03-09T12:00:00Z")))
        let s = h.scheduler(clock: clock)
        let id = try h.control("schedule.create", [
            "cron": "30 2 * * *", "timezone": "America/New_York", "task": ["type": "nightly"],
        ])
        try s.runPass()
        // 02:30 does not exist on 2024-03-10 in New York: the run happens when the gap ends
        #expect(try result(h, id)["schedule"]?["next_run_at"] == "2024-03-10T07:00:00Z")
        clock.set(try #require(RFC3339.parse("2024-03-10T07:00:05Z")))
        #expect(try s.runPass().dispatched == 1)
        #expect(try h.firedRuns(id) == ["2024-03-10T07:00:00Z"])
    }

    @Test func jitterDelaysDispatchDeterministically() throws {
        let h = try H()
        let clock = ManualClock(H.t0)
        let s = h.scheduler(clock: clock)
        let id = try h.control("schedule.create", [
            "interval_seconds": 600, "start_at": .string(H.iso(600)), "jitter_seconds": 300, "task": ["type": "spread"],
        ])
        try s.runPass()
        let delay = Jitter.delay(scheduleID: id, runAt: H.at(600), maxSeconds: 300)
        #expect(delay > 0)
        clock.set(H.at(600))
        let report = try s.runPass()
        #expect(report.planned == 1 && report.dispatched == 0)  // planned, waiting for its jittered time
        clock.set(H.at(600 + delay))
        #expect(try s.runPass().dispatched == 1)
        #expect(try h.firedRuns(id) == [H.iso(600)])  // the key names the nominal run time
    }

    static let badPayloads: [(JSON, String)] = [
        (["task": ["type": "x"]], "exactly one of"),
        (["interval_seconds": 0, "task": ["type": "x"]], "interval_seconds"),
        (["cron": "61 * * * *", "task": ["type": "x"]], "minute"),
        (["cron": "* * * * *", "timezone": "Mars/Olympus", "task": ["type": "x"]], "timezone"),
        (["interval_seconds": 5, "misfire_policy": "sometimes", "task": ["type": "x"]], "misfire_policy"),
        (["interval_seconds": 5], "task"),
        (["interval_seconds": 5, "task": ["type": "schedule.create"]], "schedule.*"),
        (["interval_seconds": 5, "task": ["type": "x", "payload": [1]]], "payload"),
        (["interval_seconds": 5, "task": ["type": "x"], "colour": "red"], "colour"),
    ]

    @Test(arguments: badPayloads)
    func badCreatePayloadsFailTerminally(_ payload: JSON, _ mention: String) throws {
        let h = try H()
        let id = try h.control("schedule.create", payload)
        try h.scheduler(clock: ManualClock(H.t0)).runPass()
        let error = try failure(h, id)
        #expect(error["kind"] == "bad_payload")
        #expect(error["message"]?.stringValue?.contains(mention) == true, "\(error)")
        #expect(try h.count("SELECT count(*) FROM schedules") == 0)
    }

    @Test func onlyTheOwnerControlsASchedule() throws {
        let h = try H()
        let s = h.scheduler(clock: ManualClock(H.t0))
        let id = try h.control("schedule.create", ["interval_seconds": 60, "task": ["type": "x"]])
        try s.runPass()
        let steal = try h.control("schedule.delete", ["schedule_id": .string(id.uuidString)], owner: .agent("mallory"))
        let peek = try h.control("schedule.status", ["schedule_id": .string(id.uuidString)], owner: .agent("mallory"))
        let dup = try h.control("schedule.create", ["schedule_id": .string(id.uuidString), "interval_seconds": 5, "task": ["type": "y"]])
        let missing = try h.control("schedule.status", ["schedule_id": .string(UUID().uuidString)])
        try s.runPass()
        #expect(try failure(h, steal)["kind"] == "forbidden")
        #expect(try failure(h, peek)["kind"] == "forbidden")
        #expect(try failure(h, dup)["kind"] == "conflict")
        #expect(try failure(h, missing)["kind"] == "not_found")
        #expect(try result(h, id)["schedule"]?["status"] == "active")
    }

    @Test func aTaskTheServerRefusesIsDroppedNotRetriedForever() throws {
        let h = try H()
        let clock = ManualClock(H.t0)
        let s = h.scheduler(clock: clock)
        let id = try h.control("schedule.create", [
            "interval_seconds": 60, "start_at": .string(H.iso(60)), "task": ["type": "x", "max_attempts": 0],
        ])
        try s.runPass()
        clock.set(H.at(60))
        try s.runPass()
        #expect(try h.firedRuns(id).isEmpty)
        #expect(try h.count("SELECT count(*) FROM schedule_runs WHERE state = 'rejected' AND last_error LIKE '%VALIDATION_ERROR%'") == 1)
        clock.set(H.at(120))
        try s.runPass()  // the schedule itself carries on
        #expect(try h.count("SELECT count(*) FROM schedule_runs WHERE state = 'rejected'") == 2)
    }
}
