import AsyncGateClient
import Foundation
import JSON
import Postgres

/// A planned run waiting to become a task, with what dispatch needs from its schedule.
struct PendingRun {
    var scheduleID: UUID
    var runAt: Date
    var fireAt: Date
    var attempts: Int
    var owner: Principal
    var template: TaskTemplate
}

/// SQL for `schedule_runs`, the outbox of planned firings.
struct ScheduleRunRepository {
    let db: PostgresConnection
    let tenantID: UUID

    /// Plans a run. A run planned before (same schedule and run_at) is left as it is.
    func plan(_ scheduleID: UUID, runAt: Date, fireAt: Date, now: Date) throws {
        _ = try db.query("""
            INSERT INTO schedule_runs (tenant_id, schedule_id, run_at, fire_at, planned_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant_id, schedule_id, run_at) DO NOTHING
            """, [tenantID, scheduleID, runAt, fireAt, now])
    }

    /// Pending runs due at `now` of active schedules, locked (SKIP LOCKED: another scheduler's rows
    /// are left to it).
    func lockDispatchable(now: Date, limit: Int) throws -> [PendingRun] {
        try db.query("""
            SELECT r.schedule_id, r.run_at, r.fire_at, r.attempts, s.owner_kind, s.owner_id, s.task_template
            FROM schedule_runs r JOIN schedules s ON s.tenant_id = r.tenant_id AND s.schedule_id = r.schedule_id
            WHERE r.tenant_id = $1 AND r.state = 'pending' AND r.fire_at <= $2 AND s.status = 'active'
            ORDER BY r.fire_at, r.schedule_id, r.run_at
            LIMIT $3
            FOR UPDATE OF r SKIP LOCKED
            """, [tenantID, now, limit]).map { row in
            guard let id = row.uuid(0), let runAt = row.date(1), let fireAt = row.date(2), let attempts = row.int(3),
                  let kind = row.string(4), let owner = row.string(5), let template = row.bytes(6).flatMap({ try? JSON.parse($0) })
            else { throw PostgresError(code: .decodingFailed, message: "schedule_runs row: missing or invalid column") }
            return PendingRun(scheduleID: id, runAt: runAt, fireAt: fireAt, attempts: attempts,
                              owner: Principal(kind: PrincipalKind(rawValue: kind), id: owner), template: TaskTemplate(stored: template))
        }
    }

    func markCreated(_ scheduleID: UUID, runAt: Date, taskID: UUID, now: Date) throws {
        _ = try db.query("""
            UPDATE schedule_runs SET state = 'created', task_id = $4, attempts = attempts + 1, dispatched_at = $5, last_error = NULL
            WHERE tenant_id = $1 AND schedule_id = $2 AND run_at = $3
            """, [tenantID, scheduleID, runAt, taskID, now])
    }

    /// Records a failed dispatch; the run stays pending and is retried after `retryAt`.
    func markFailed(_ scheduleID: UUID, runAt: Date, error: String, retryAt: Date) throws {
        _ = try db.query("""
            UPDATE schedule_runs SET attempts = attempts + 1, last_error = $4, fire_at = $5
            WHERE tenant_id = $1 AND schedule_id = $2 AND run_at = $3
            """, [tenantID, scheduleID, runAt, String(error.prefix(1000)), retryAt])
    }

    /// The API refused the run's task for good: keep the reason, stop trying.
    func markRejected(_ scheduleID: UUID, runAt: Date, error: String, now: Date) throws {
        _ = try db.query("""
            UPDATE schedule_runs SET state = 'rejected', attempts = attempts + 1, last_error = $4, dispatched_at = $5
            WHERE tenant_id = $1 AND schedule_id = $2 AND run_at = $3
            """, [tenantID, scheduleID, runAt, String(error.prefix(1000)), now])
    }

    /// Drops runs not dispatched yet (the schedule was paused or deleted).
    func cancelPending(_ scheduleID: UUID) throws -> Int {
        try db.query("""
            UPDATE schedule_runs SET state = 'canceled' WHERE tenant_id = $1 AND schedule_id = $2 AND state = 'pending'
            """, [tenantID, scheduleID]).affectedRows
    }

    func earliestPending() throws -> Date? {
        try db.query("SELECT min(fire_at) FROM schedule_runs WHERE tenant_id = $1 AND state = 'pending'", [tenantID]).first?.date(0)
    }

    /// The latest runs of a schedule, newest first (for schedule.status).
    func recent(_ scheduleID: UUID, limit: Int) throws -> JSON {
        let rows = try db.query("""
            SELECT run_at, fire_at, state, task_id, attempts, last_error FROM schedule_runs
            WHERE tenant_id = $1 AND schedule_id = $2 ORDER BY run_at DESC LIMIT $3
            """, [tenantID, scheduleID, limit])
        return .array(rows.map { row in
            [
                "run_at": row.date(0).map { .string(RFC3339.format($0)) } ?? .null,
                "fire_at": row.date(1).map { .string(RFC3339.format($0, fractional: true)) } ?? .null,
                "state": row.string(2).map { .string($0) } ?? .null,
                "task_id": row.uuid(3).map { .string($0.uuidString.lowercased()) } ?? .null,
                "attempts": .int(Int64(row.int(4) ?? 0)),
                "last_error": row.string(5).map { .string($0) } ?? .null,
            ]
        })
    }
}
