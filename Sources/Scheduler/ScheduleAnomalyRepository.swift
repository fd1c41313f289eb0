import AsyncGateClient
import Foundation
import JSON
import Postgres

/// SQL for `schedule_anomalies` (see the migration for why anomalies live here).
struct ScheduleAnomalyRepository {
    let db: PostgresConnection
    let tenantID: UUID

    /// Records an anomaly once per (schedule, kind, run_at); true if it is new.
    func record(_ scheduleID: UUID, kind: String, runAt: Date, body: JSON, now: Date) throws -> Bool {
        try db.query("""
            INSERT INTO schedule_anomalies (tenant_id, schedule_id, kind, run_at, detected_at, body)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT DO NOTHING
            """, [tenantID, scheduleID, kind, runAt, now, String(decoding: body.serialized(), as: UTF8.self)]).affectedRows == 1
    }

    func recent(_ scheduleID: UUID, limit: Int) throws -> JSON {
        let rows = try db.query("""
            SELECT kind, run_at, detected_at, body FROM schedule_anomalies
            WHERE tenant_id = $1 AND schedule_id = $2 ORDER BY detected_at DESC, run_at DESC LIMIT $3
            """, [tenantID, scheduleID, limit])
        return .array(rows.map { row in
            [
                "kind": row.string(0).map { .string($0) } ?? .null,
                "run_at": row.date(1).map { .string(RFC3339.format($0)) } ?? .null,
                "detected_at": row.date(2).map { .string(RFC3339.format($0, fractional: true)) } ?? .null,
                "body": row.bytes(3).flatMap { try? JSON.parse($0) } ?? .null,
            ]
        })
    }
}
