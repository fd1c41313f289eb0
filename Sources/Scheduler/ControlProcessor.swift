import AsyncGateClient
import Foundation
import JSON
import Logging
import Postgres

/// Applies control commands to the scheduler's tables, one transaction each.
struct ControlProcessor {
    let pool: PostgresPool
    let tenantID: UUID

    func apply(_ command: ControlCommand, owner: Principal, controlTaskID: UUID, now: Date) throws(ControlError) -> JSON {
        do {
            return try pool.withConnection { conn in
                try conn.transaction { db in
                    try ScheduleRepository.bindTenant(db, tenantID)
                    return try run(command, owner: owner, controlTaskID: controlTaskID, now: now, db: db)
                }
            }
        } catch let error as ControlError {
            throw error
        } catch {
            throw .transient("scheduler database: \(error)")
        }
    }

    private func run(_ command: ControlCommand, owner: Principal, controlTaskID: UUID, now: Date, db: PostgresConnection) throws -> JSON {
        let schedules = ScheduleRepository(db: db, tenantID: tenantID)
        let runs = ScheduleRunRepository(db: db, tenantID: tenantID)
        switch command {
        case .create(let definition):
            let spec = definition.spec(now: now)
            guard let first = Self.firstRun(spec, now: now) else {
                throw ControlError.badPayload("the schedule would never fire (no run within \(CronExpression.searchYears) years)")
            }
            let record = ScheduleRecord(
                scheduleID: definition.scheduleID, name: definition.name, owner: Principal(kind: owner.kind, id: owner.id), spec: spec,
                jitterSeconds: definition.jitterSeconds, misfirePolicy: definition.misfirePolicy,
                misfireGraceSeconds: definition.misfireGraceSeconds, template: definition.template, status: .active,
                nextRunAt: first, lastRunAt: nil, lastTaskID: nil, firedCount: 0, skippedCount: 0,
                createdByTaskID: controlTaskID, createdAt: now, updatedAt: now)
            let (stored, created) = try schedules.insert(record)
            // A retried control task finds the schedule it created the first time; any other
            // create with the same id is a conflict, never a silent overwrite.
            guard created || stored.createdByTaskID == controlTaskID else {
                throw ControlError.conflict("schedule \(definition.scheduleID.uuidString.lowercased()) already exists")
            }
            return ["action": "create", "changed": .bool(created), "schedule": stored.json]

        case .pause(let id):
            let s = try owned(id, by: owner, schedules, allowDeleted: false)
            var canceled = 0
            if s.status == .active {
                try schedules.setStatus(id, .paused, nextRunAt: s.nextRunAt, now: now)
                canceled = try runs.cancelPending(id)
            }
            return try result("pause", changed: s.status == .active, id, schedules, extra: ["canceled_runs": .int(Int64(canceled))])

        case .resume(let id):
            let s = try owned(id, by: owner, schedules, allowDeleted: false)
            if s.status == .paused {
                // Runs that fell inside the pause are not missed runs: pausing means "do not fire".
                try schedules.setStatus(id, .active, nextRunAt: Self.firstRun(s.spec, now: now), now: now)
            }
            return try result("resume", changed: s.status == .paused, id, schedules)

        case .delete(let id):
            let s = try owned(id, by: owner, schedules, allowDeleted: true)
            var canceled = 0
            if s.status != .deleted {
                try schedules.setStatus(id, .deleted, nextRunAt: nil, now: now)
                canceled = try runs.cancelPending(id)
            }
            return try result("delete", changed: s.status != .deleted, id, schedules, extra: ["canceled_runs": .int(Int64(canceled))])

        case .status(let id):
            _ = try owned(id, by: owner, schedules, allowDeleted: true)
            let anomalies = ScheduleAnomalyRepository(db: db, tenantID: tenantID)
            return try result("status", changed: false, id, schedules, extra: [
                "recent_runs": try runs.recent(id, limit: 10), "anomalies": try anomalies.recent(id, limit: 10),
            ])
        }
    }

    /// The first run at or after `now` for a new or resumed schedule: an interval schedule whose
    /// start lies ahead fires first at its start; otherwise the next run after now.
    static func firstRun(_ spec: ScheduleSpec, now: Date) -> Date? {
        if case .interval(_, let anchor) = spec, anchor > now { return anchor }
        return spec.nextRun(after: now)
    }

    private func owned(_ id: UUID, by owner: Principal, _ schedules: ScheduleRepository, allowDeleted: Bool) throws -> ScheduleRecord {
        guard let s = try schedules.find(id, lock: true), allowDeleted || s.status != .deleted else {
            throw ControlError.notFound("schedule \(id.uuidString.lowercased()) not found")
        }
        guard s.owner.kind == owner.kind && s.owner.id == owner.id else {
            throw ControlError.forbidden("schedule \(id.uuidString.lowercased()) belongs to another principal")
        }
        return s
    }

    private func result(_ action: String, changed: Bool, _ id: UUID, _ schedules: ScheduleRepository,
                        extra: [String: JSON] = [:]) throws -> JSON {
        guard let s = try schedules.find(id, lock: false) else { throw ControlError.notFound("schedule vanished") }
        var o: [String: JSON] = ["action": .string(action), "changed": .bool(changed), "schedule": s.json]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }
}
