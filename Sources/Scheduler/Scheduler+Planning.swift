import AsyncGateClient
import Foundation
import JSON
import Logging

extension Scheduler {
    /// Plans every due schedule, batch by batch: (planned runs, skipped runs, new anomalies).
    func planDueSchedules() throws -> (Int, Int, Int) {
        var planned = 0, skipped = 0, anomalies = 0
        while true {
            let now = clock.now()
            let (count, p, s, a) = try withTransaction { db -> (Int, Int, Int, Int) in
                let schedules = ScheduleRepository(db: db, tenantID: configuration.tenantID)
                let runs = ScheduleRunRepository(db: db, tenantID: configuration.tenantID)
                let anomalyLog = ScheduleAnomalyRepository(db: db, tenantID: configuration.tenantID)
                let (due, broken, rows) = try schedules.lockDue(now: now, limit: configuration.planBatch)
                for (id, error) in broken {
                    logger.error("schedule cannot be read; skipped", metadata: ["schedule.id": "\(id.uuidString.lowercased())", "error": "\(error)"])
                }
                var p = 0, s = 0, a = 0
                for schedule in due {
                    let plan = FiringPlanner.plan(spec: schedule.spec, nextRunAt: schedule.nextRunAt, now: now,
                                                  policy: schedule.misfirePolicy, grace: Double(schedule.misfireGraceSeconds),
                                                  maxFires: configuration.maxCatchUpPerPlan)
                    for runAt in plan.fire {
                        let fireAt = runAt.addingTimeInterval(Jitter.delay(scheduleID: schedule.scheduleID, runAt: runAt,
                                                                           maxSeconds: schedule.jitterSeconds))
                        try runs.plan(schedule.scheduleID, runAt: runAt, fireAt: fireAt, now: now)
                    }
                    if let overdue = plan.overdue, try recordOverdue(schedule, overdue, now: now, anomalyLog) { a += 1 }
                    try schedules.advance(schedule.scheduleID, nextRunAt: plan.nextRunAt, lastRunAt: plan.fire.last,
                                          fired: plan.fire.count, skipped: plan.skippedCount, now: now)
                    if plan.skippedCount > 0 {
                        logger.info("missed runs skipped by the misfire policy", metadata: [
                            "schedule.id": "\(schedule.scheduleID.uuidString.lowercased())", "schedule.skipped": "\(plan.skippedCount)",
                            "schedule.misfire_policy": "\(schedule.misfirePolicy.rawValue)",
                        ])
                    }
                    try crashHook?(.beforePlanCommit(scheduleID: schedule.scheduleID))
                    p += plan.fire.count
                    s += plan.skippedCount
                }
                // a full batch of broken rows would come back forever: stop this pass then
                return (broken.count == rows ? 0 : rows, p, s, a)
            }
            planned += p
            skipped += s
            anomalies += a
            if count < configuration.planBatch { return (planned, skipped, anomalies) }
        }
    }

    /// A schedule overdue by more than two intervals is a `system.anomaly` (SPEC §5): recorded in
    /// `schedule_anomalies` (once per overdue run; `schedule.status` reports it), logged at warning,
    /// and emitted as a `system.anomaly` receipt to the schedule's owner through POST /v1/anomalies.
    /// A failed emission is logged and does not stop planning (the row and the log remain).
    private func recordOverdue(_ schedule: ScheduleRecord, _ overdue: FiringPlan.Overdue, now: Date,
                               _ anomalies: ScheduleAnomalyRepository) throws -> Bool {
        let body: JSON = [
            "receipt_type": "system.anomaly", "kind": "schedule_overdue",
            "schedule_id": .string(schedule.scheduleID.uuidString.lowercased()),
            "owner": ["kind": .string(schedule.owner.kind.rawValue), "id": .string(schedule.owner.id)],
            "run_at": .string(RFC3339.format(overdue.runAt)), "late_seconds": .double((overdue.lateSeconds * 1000).rounded() / 1000),
            "interval_seconds": .double(overdue.intervalSeconds), "misfire_policy": .string(schedule.misfirePolicy.rawValue),
            "message": "schedule overdue by more than two intervals (was the scheduler down?)",
        ]
        let new = try anomalies.record(schedule.scheduleID, kind: "schedule_overdue", runAt: overdue.runAt, body: body, now: now)
        if new {
            logger.warning("system.anomaly: schedule overdue by more than two intervals", metadata: [
                "schedule.id": "\(schedule.scheduleID.uuidString.lowercased())", "schedule.run_at": "\(RFC3339.format(overdue.runAt))",
                "schedule.late_seconds": "\(Int(overdue.lateSeconds))", "anomaly.kind": "schedule_overdue",
            ])
            do {
                try client.emitAnomaly(from: Principal(kind: .worker, id: configuration.workerID), to: schedule.owner,
                                       kind: "schedule_overdue", details: body)
            } catch {
                logger.warning("could not emit the system.anomaly receipt", metadata: ["error": "\(error)"])
            }
        }
        return new
    }
}
