import Domain
import Foundation
import Postgres

/// What the lease check found, for operations that need the caller to hold the task's active lease.
public struct LeaseCheck: Sendable {
    public var taskExists: Bool
    public var taskStatus: TaskStatus?
    public var ownerKind: PrincipalKind?
    public var ownerID: String?
    public var assignedReceiptID: UUID?
    public var attempt: Int
    public var maxAttempts: Int
    public var retryBackoffSeconds: Int
    /// The lease named by the caller, if it belongs to this task (active or released).
    public var lease: LeaseRecord?
    public var leaseReleasedAt: Date?
    public var leaseReleaseReason: String?
    /// Whether the named lease is active, unexpired and held by the calling worker.
    public var leaseIsValid: Bool

    /// The task's owner (creator), to whom lease receipts are addressed.
    public var owner: Principal? {
        guard let ownerKind, let ownerID else { return nil }
        return Principal(kind: ownerKind, id: ownerID)
    }
}

/// SQL for the `leases` table. Row locks are always taken lease first, then task, in every path
/// (complete, fail, renew, cancel, sweep), so concurrent operations cannot deadlock on each other.
public struct LeaseRepository {
    let db: PostgresConnection
    public init(_ db: PostgresConnection) { self.db = db }

    static let leaseColumns = "l.lease_id, l.task_id, l.worker_id, l.worker_instance_id, l.acquired_at, l.expires_at, l.renewal_count"

    static func decodeLease(_ row: PostgresRow, offset o: Int) throws -> LeaseRecord {
        LeaseRecord(leaseID: try row.requireUUID(o), taskID: try row.requireUUID(o + 1), workerID: try row.requireString(o + 2),
                    workerInstanceID: row.string(o + 3), acquiredAt: try row.requireDate(o + 4),
                    expiresAt: try row.requireDate(o + 5), renewalCount: try row.requireInt(o + 6))
    }

    /// Locks the named lease (if it belongs to the task) and reads the task, in one round trip.
    public func check(tenantID: UUID, taskID: UUID, leaseID: UUID, workerID: String) throws -> LeaseCheck {
        let rows = try db.query("""
            WITH l AS (
                SELECT * FROM leases
                WHERE tenant_id = $1 AND lease_id = $3 AND task_id = $2
                FOR UPDATE
            )
            SELECT t.status, t.created_by_kind, t.created_by_id, t.assigned_receipt_id, t.attempt,
                   t.max_attempts, t.retry_backoff_seconds,
                   \(Self.leaseColumns), l.released_at, l.release_reason,
                   (l.released_at IS NULL AND l.expires_at > now() AND l.worker_id = $4) AS valid
            FROM (SELECT 1) one
            LEFT JOIN tasks t ON t.tenant_id = $1 AND t.task_id = $2
            LEFT JOIN l ON true
            """, [tenantID, taskID, leaseID, workerID])
        guard let row = rows.first, !row.isNull(0) else {
            return LeaseCheck(taskExists: false, taskStatus: nil, ownerKind: nil, ownerID: nil, assignedReceiptID: nil,
                              attempt: 0, maxAttempts: 0, retryBackoffSeconds: 0, lease: nil, leaseReleasedAt: nil,
                              leaseReleaseReason: nil, leaseIsValid: false)
        }
        let lease = row.isNull(7) ? nil : try Self.decodeLease(row, offset: 7)
        return LeaseCheck(
            taskExists: true, taskStatus: TaskStatus(rawValue: try row.requireString(0)),
            ownerKind: PrincipalKind(rawValue: try row.requireString(1)), ownerID: row.string(2),
            assignedReceiptID: row.uuid(3), attempt: try row.requireInt(4), maxAttempts: try row.requireInt(5),
            retryBackoffSeconds: try row.requireInt(6), lease: lease, leaseReleasedAt: row.date(14),
            leaseReleaseReason: row.string(15), leaseIsValid: row.bool(16) ?? false)
    }

    public func workerHasLeased(tenantID: UUID, taskID: UUID, workerID: String) throws -> Bool {
        try !db.query("SELECT 1 FROM leases WHERE tenant_id = $1 AND task_id = $2 AND worker_id = $3 LIMIT 1",
                      [tenantID, taskID, workerID]).isEmpty
    }

    public func release(tenantID: UUID, leaseID: UUID, reason: String) throws {
        _ = try db.query("""
            UPDATE leases SET released_at = now(), release_reason = $3
            WHERE tenant_id = $1 AND lease_id = $2 AND released_at IS NULL
            """, [tenantID, leaseID, reason])
    }

    /// Releases whatever lease is active on the task (cancel). Returns the released lease id.
    public func releaseActive(tenantID: UUID, taskID: UUID, reason: String) throws -> UUID? {
        let rows = try db.query("""
            UPDATE leases SET released_at = now(), release_reason = $3
            WHERE tenant_id = $1 AND task_id = $2 AND released_at IS NULL
            RETURNING lease_id
            """, [tenantID, taskID, reason])
        return rows.first?.uuid(0)
    }

    public enum RenewOutcome: Sendable {
        case renewed(expiresAt: Date, renewalCount: Int)
        case renewalLimit
        case lifetimeLimit
    }

    /// Sets an already-validated active lease to expire `extendBySeconds` from now (as the original
    /// implementation did), refusing past the renewal count, and clamping to the lifetime end;
    /// once the lifetime is used up the renewal is refused.
    public func renew(tenantID: UUID, leaseID: UUID, extendBySeconds: Int, maxRenewals: Int, maxLifetimeSeconds: Int) throws -> RenewOutcome {
        let rows = try db.query("""
            WITH cur AS (
                SELECT renewal_count, expires_at,
                       now() + make_interval(secs => $3) AS wanted,
                       acquired_at + make_interval(secs => $5) AS lifetime_end
                FROM leases WHERE tenant_id = $1 AND lease_id = $2 AND released_at IS NULL
            ), upd AS (
                UPDATE leases l SET expires_at = least(cur.wanted, cur.lifetime_end), renewal_count = l.renewal_count + 1
                FROM cur
                WHERE l.tenant_id = $1 AND l.lease_id = $2 AND cur.renewal_count < $4
                  AND least(cur.wanted, cur.lifetime_end) > now()
                  -- asking past the lifetime when the lease already reaches its end: nothing to give
                  AND NOT (cur.wanted > cur.lifetime_end AND cur.lifetime_end <= cur.expires_at)
                RETURNING l.expires_at, l.renewal_count
            )
            SELECT (SELECT expires_at FROM upd), (SELECT renewal_count FROM upd),
                   (SELECT renewal_count >= $4 FROM cur)
            """, [tenantID, leaseID, extendBySeconds, maxRenewals, maxLifetimeSeconds])
        guard let row = rows.first else { return .lifetimeLimit }
        if let expires = row.date(0), let count = row.int(1) { return .renewed(expiresAt: expires, renewalCount: count) }
        return (row.bool(2) ?? false) ? .renewalLimit : .lifetimeLimit
    }

    /// One sweep unit: expired active leases (any tenant) are released and their non-terminal tasks
    /// requeued with attempt unchanged and a little jitter, all in one statement. SKIP LOCKED lets
    /// several server instances sweep at once without touching the same lease.
    public func expireBatch(limit: Int) throws -> [ExpiredLease] {
        let rows = try db.query("""
            WITH e AS (
                SELECT tenant_id, lease_id, task_id, worker_id FROM leases
                WHERE released_at IS NULL AND expires_at <= now()
                ORDER BY expires_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            ), rel AS (
                UPDATE leases l SET released_at = now(), release_reason = 'expired'
                FROM e WHERE l.tenant_id = e.tenant_id AND l.lease_id = e.lease_id
                RETURNING l.tenant_id, l.lease_id, l.task_id, l.worker_id
            ), t AS (
                UPDATE tasks t SET status = 'queued', expiry_requeues = t.expiry_requeues + 1, updated_at = now(),
                    next_eligible_at = now() + random() * interval '1 second'
                FROM rel WHERE t.tenant_id = rel.tenant_id AND t.task_id = rel.task_id AND t.status IN ('leased', 'running')
                RETURNING t.tenant_id, t.task_id, t.attempt, t.created_by_kind, t.created_by_id, t.assigned_receipt_id,
                    t.expiry_requeues, rel.lease_id, rel.worker_id
            )
            SELECT * FROM t
            """, [limit])
        return try rows.map { row in
            ExpiredLease(tenantID: try row.requireUUID(0), taskID: try row.requireUUID(1), attempt: try row.requireInt(2),
                         owner: Principal(kind: PrincipalKind(rawValue: try row.requireString(3)) ?? .agent, id: try row.requireString(4)),
                         assignedReceiptID: try row.requireUUID(5), expiryRequeues: try row.requireInt(6),
                         leaseID: try row.requireUUID(7), workerID: try row.requireString(8))
        }
    }
}

public struct ExpiredLease: Sendable {
    public var tenantID: UUID
    public var taskID: UUID
    public var attempt: Int
    public var owner: Principal
    public var assignedReceiptID: UUID
    public var expiryRequeues: Int
    public var leaseID: UUID
    public var workerID: String
}
