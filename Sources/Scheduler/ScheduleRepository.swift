import AsyncGateClient
import Foundation
import JSON
import Postgres

/// SQL for the `schedules` table. Every statement is scoped by tenant_id; times come from the
/// caller (the scheduler's clock).
struct ScheduleRepository {
    let db: PostgresConnection
    let tenantID: UUID

    static let columns = """
        schedule_id, name, owner_kind, owner_id, kind, interval_seconds, cron, timezone, anchor_at, jitter_seconds,
        misfire_policy, misfire_grace_seconds, task_template, status, next_run_at, last_run_at, last_task_id,
        fired_count, skipped_count, created_by_task_id, created_at, updated_at
        """

    /// Names the tenant for row-level security, for the rest of the current transaction.
    static func bindTenant(_ db: PostgresConnection, _ tenantID: UUID) throws {
        _ = try db.query("SELECT set_config('app.tenant_id', $1, true)", [tenantID.uuidString.lowercased()])
    }

    /// Inserts unless the id exists; returns the stored row either way (and whether it is new).
    func insert(_ r: ScheduleRecord) throws -> (record: ScheduleRecord, created: Bool) {
        var interval: Int?
        var anchor = r.createdAt
        var cron: String?
        var zone = "UTC"
        switch r.spec {
        case .interval(let seconds, let a):
            interval = seconds
            anchor = a
        case .cron(let expression, let tz):
            cron = expression.source
            zone = tz.identifier
        }
        let inserted = try db.query("""
            INSERT INTO schedules (tenant_id, schedule_id, name, owner_kind, owner_id, kind, interval_seconds, cron, timezone,
                anchor_at, jitter_seconds, misfire_policy, misfire_grace_seconds, task_template, status, next_run_at,
                created_by_task_id, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17, $18, $18)
            ON CONFLICT (tenant_id, schedule_id) DO NOTHING
            RETURNING \(Self.columns)
            """, [tenantID, r.scheduleID, r.name, r.owner.kind.rawValue, r.owner.id, interval == nil ? "cron" : "interval", interval,
                  cron, zone, anchor, r.jitterSeconds, r.misfirePolicy.rawValue, r.misfireGraceSeconds,
                  String(decoding: r.template.json.serialized(), as: UTF8.self), r.status.rawValue, r.nextRunAt,
                  r.createdByTaskID, r.createdAt])
        if let row = inserted.first { return (try Self.decode(row), true) }
        guard let existing = try find(r.scheduleID, lock: false) else {
            throw PostgresError(code: .queryFailed, message: "schedule \(r.scheduleID) neither inserted nor found")
        }
        return (existing, false)
    }

    func find(_ id: UUID, lock: Bool) throws -> ScheduleRecord? {
        try db.query("SELECT \(Self.columns) FROM schedules WHERE tenant_id = $1 AND schedule_id = $2\(lock ? " FOR UPDATE" : "")",
                     [tenantID, id]).first.map(Self.decode)
    }

    /// Active schedules due at `now`, locked; rows another scheduler holds are skipped, not waited for.
    /// A row that no longer decodes (say, its time zone vanished from the zone database) is returned
    /// apart, so one broken schedule cannot stop the others.
    func lockDue(now: Date, limit: Int) throws -> (due: [ScheduleRecord], broken: [(UUID, Error)], rows: Int) {
        let rows = try db.query("""
            SELECT \(Self.columns) FROM schedules
            WHERE tenant_id = $1 AND status = 'active' AND next_run_at <= $2
            ORDER BY next_run_at LIMIT $3
            FOR UPDATE SKIP LOCKED
            """, [tenantID, now, limit])
        var due: [ScheduleRecord] = []
        var broken: [(UUID, Error)] = []
        for row in rows {
            do {
                due.append(try Self.decode(row))
            } catch {
                broken.append((row.uuid(0) ?? UUID(), error))
            }
        }
        return (due, broken, rows.count)
    }

    /// Moves the pointer after planning and counts what the plan fired and skipped.
    func advance(_ id: UUID, nextRunAt: Date?, lastRunAt: Date?, fired: Int, skipped: Int, now: Date) throws {
        _ = try db.query("""
            UPDATE schedules SET next_run_at = $3, last_run_at = coalesce($4, last_run_at),
                fired_count = fired_count + $5, skipped_count = skipped_count + $6, updated_at = $7
            WHERE tenant_id = $1 AND schedule_id = $2
            """, [tenantID, id, nextRunAt, lastRunAt, fired, skipped, now])
    }

    func setStatus(_ id: UUID, _ status: ScheduleStatus, nextRunAt: Date?, now: Date) throws {
        _ = try db.query("""
            UPDATE schedules SET status = $3, next_run_at = $4, updated_at = $5 WHERE tenant_id = $1 AND schedule_id = $2
            """, [tenantID, id, status.rawValue, nextRunAt, now])
    }

    func recordTask(_ id: UUID, taskID: UUID) throws {
        _ = try db.query("UPDATE schedules SET last_task_id = $3 WHERE tenant_id = $1 AND schedule_id = $2", [tenantID, id, taskID])
    }

    /// The earliest next_run_at among active schedules (to know how long to sleep).
    func earliestDue() throws -> Date? {
        try db.query("SELECT min(next_run_at) FROM schedules WHERE tenant_id = $1 AND status = 'active'", [tenantID]).first?.date(0)
    }

    static func decode(_ row: PostgresRow) throws -> ScheduleRecord {
        func bad(_ what: String) -> PostgresError {
            PostgresError(code: .decodingFailed, message: "schedules row: \(what)")
        }
        guard let id = row.uuid(0), let ownerKind = row.string(2), let ownerID = row.string(3), let kind = row.string(4),
              let zoneName = row.string(7), let anchor = row.date(8), let jitter = row.int(9),
              let policy = row.string(10).flatMap(MisfirePolicy.init(rawValue:)), let grace = row.int(11),
              let templateText = row.bytes(12), let status = row.string(13).flatMap(ScheduleStatus.init(rawValue:)),
              let fired = row.int(17), let skipped = row.int(18), let createdAt = row.date(20), let updatedAt = row.date(21)
        else { throw bad("missing or invalid column") }
        let spec: ScheduleSpec
        if kind == "interval" {
            guard let seconds = row.int(5) else { throw bad("interval without interval_seconds") }
            spec = .interval(seconds: seconds, anchor: anchor)
        } else {
            guard let text = row.string(6), let zone = TimeZone(identifier: zoneName) else { throw bad("cron without expression or zone") }
            do {
                spec = .cron(try CronExpression(text), zone)
            } catch {
                throw bad("stored cron does not parse: \(error)")
            }
        }
        let template: JSON
        do {
            template = try JSON.parse(templateText)
        } catch {
            throw bad("task_template is not JSON")
        }
        return ScheduleRecord(
            scheduleID: id, name: row.string(1), owner: Principal(kind: PrincipalKind(rawValue: ownerKind), id: ownerID), spec: spec,
            jitterSeconds: jitter, misfirePolicy: policy, misfireGraceSeconds: grace, template: TaskTemplate(stored: template),
            status: status, nextRunAt: row.date(14), lastRunAt: row.date(15), lastTaskID: row.uuid(16), firedCount: fired,
            skippedCount: skipped, createdByTaskID: row.uuid(19), createdAt: createdAt, updatedAt: updatedAt)
    }
}
