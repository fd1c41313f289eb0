import Domain
import Foundation
import JSON
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

    /// `l`: the named lease, locked, if it belongs to the task (binds $1 tenant, $2 task, $3 lease).
    static let lockedLease = """
        l AS (
            SELECT ctid AS row_ctid, * FROM leases
            WHERE tenant_id = $1 AND lease_id = $3 AND task_id = $2
            FOR UPDATE
        )
        """

    /// The 17 columns `decodeCheck` reads, from `checkSource` ($4 worker: whose lease is valid).
    static let checkColumns = """
        t.status, t.created_by_kind, t.created_by_id, t.assigned_receipt_id, t.attempt,
               t.max_attempts, t.retry_backoff_seconds,
               \(leaseColumns), l.released_at, l.release_reason,
               (l.released_at IS NULL AND l.expires_at > now() AND l.worker_id = $4) AS valid
        """

    /// One row whether or not the task and the lease exist.
    static let checkSource = """
        FROM (SELECT 1) one
            LEFT JOIN tasks t ON t.tenant_id = $1 AND t.task_id = $2
            LEFT JOIN l ON true
        """

    /// Locks the named lease (if it belongs to the task) and reads the task, in one round trip.
    public func check(tenantID: UUID, taskID: UUID, leaseID: UUID, workerID: String) throws -> LeaseCheck {
        let rows = try db.query("""
            WITH \(Self.lockedLease)
            SELECT \(Self.checkColumns)
            \(Self.checkSource)
            """, [tenantID, taskID, leaseID, workerID])
        return try Self.decodeCheck(rows.first)
    }

    /// Decodes the 17 columns of a lease check (`check`, `checkAndComplete`).
    static func decodeCheck(_ row: PostgresRow?) throws -> LeaseCheck {
        guard let row, !row.isNull(0) else {
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

    /// The check (`c`: the 17 columns of `decodeCheck`), lease release (`rel`) and task update
    /// (`done`) of a completion, for `checkAndComplete` and `checkCompleteAndRecord`. Binds: $1
    /// tenant, $2 task, $3 lease, $4 worker, $5 result, $6 artifacts.
    static let completeCTEs = """
        WITH \(Self.lockedLease), c AS (
            SELECT \(Self.checkColumns)
            \(Self.checkSource)
        ), rel AS (
            UPDATE leases SET released_at = now(), release_reason = 'completed'
            FROM c
            WHERE leases.ctid = (SELECT row_ctid FROM l) -- the row locked above: a TID scan in every plan
              AND leases.tenant_id = $1 AND leases.lease_id = $3 AND leases.released_at IS NULL
              AND c.valid AND c.status IN ('leased', 'running')
            RETURNING leases.lease_id
        ), done AS (
            UPDATE tasks SET status = 'succeeded', outcome = 'succeeded', result = $5::jsonb, artifacts = $6::jsonb,
                completed_at = now(), updated_at = now()
            WHERE tenant_id = $1 AND task_id = $2 AND status IN ('leased', 'running')
              AND EXISTS (SELECT 1 FROM rel)
            RETURNING task_id
        )
        """

    /// The lease check, and — only when it passes (lease active, unexpired, the caller's; task
    /// leased or running) — the lease released as "completed" and the task marked succeeded, in ONE
    /// statement. Locks are taken as everywhere else: the lease (FOR UPDATE, then its release)
    /// before the task row. `completed` is false when nothing was written; the caller then reads
    /// the check to say why.
    public func checkAndComplete(tenantID: UUID, taskID: UUID, leaseID: UUID, workerID: String, result: JSON, artifacts: JSON?) throws -> (check: LeaseCheck, completed: Bool) {
        let rows = try db.query("""
            \(Self.completeCTEs)
            SELECT c.*, (SELECT count(*) FROM done) FROM c
            """, [tenantID, taskID, leaseID, workerID, JSONB(result), artifacts.map(JSONB.init)])
        return (try Self.decodeCheck(rows.first), (rows.first?.int(17) ?? 0) == 1)
    }

    /// A completion's two receipts as `checkCompleteAndRecord` writes them: the ids and bodies are
    /// fixed by the caller, the owner and obligation come from the task row, and the hashes are
    /// computed in SQL (`asyncgate_receipt_hash`) from the bodies' SHA-256 given here.
    public struct CompletionReceipts: Sendable {
        public var completedID: UUID
        public var completedFrom: Principal
        public var completedBody: JSON
        public var readyID: UUID
        public var readyFrom: Principal
        public var readyBody: JSON
        public init(completedID: UUID, completedFrom: Principal, completedBody: JSON, readyID: UUID, readyFrom: Principal, readyBody: JSON) {
            self.completedID = completedID; self.completedFrom = completedFrom; self.completedBody = completedBody
            self.readyID = readyID; self.readyFrom = readyFrom; self.readyBody = readyBody
        }
    }

    /// `checkAndComplete` and, when it writes, the `task.completed` (parents = the obligation, which
    /// the trigger discharges) and `task.result_ready` receipts — ONE statement, so a locatable
    /// completion is one round trip without an explicit transaction. Returns the check, whether the
    /// completion was written, and how many receipts were (duplicates by hash are not rewritten).
    public func checkCompleteAndRecord(tenantID: UUID, taskID: UUID, leaseID: UUID, workerID: String, result: JSON, artifacts: JSON?,
                                       receipts: CompletionReceipts, instance: String) throws -> (check: LeaseCheck, completed: Bool, receipts: Int) {
        let rows = try db.query("""
            \(Self.completeCTEs), rc AS (
                INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id,
                    task_id, lease_id, parents, body, hash, asyncgate_instance)
                SELECT $1, v.receipt_id, v.receipt_type, v.from_kind, v.from_id, c.created_by_kind, c.created_by_id, $2,
                    v.lease_id, v.parents::jsonb, v.body,
                    asyncgate_receipt_hash(v.receipt_type, $2, v.from_kind, v.from_id, c.created_by_kind, c.created_by_id,
                                           v.lease_id, v.parents, v.body_sha256),
                    $17
                FROM c CROSS JOIN LATERAL (VALUES
                    (1, $7::uuid, 'task.completed', $8::text, $9::text, $3::uuid,
                     '["' || c.assigned_receipt_id::text || '"]', $10::jsonb, $11::text),
                    (2, $12::uuid, 'task.result_ready', $13::text, $14::text, NULL::uuid,
                     '["' || $7::uuid::text || '"]', $15::jsonb, $16::text)
                ) AS v(ord, receipt_id, receipt_type, from_kind, from_id, lease_id, parents, body, body_sha256)
                WHERE EXISTS (SELECT 1 FROM done)
                ORDER BY v.ord
                ON CONFLICT (tenant_id, hash) DO NOTHING
                RETURNING receipt_id
            )
            SELECT c.*, (SELECT count(*) FROM done), (SELECT count(*) FROM rc) FROM c
            """, [
                tenantID, taskID, leaseID, workerID, JSONB(result), artifacts.map(JSONB.init),
                receipts.completedID, receipts.completedFrom.kind.rawValue, receipts.completedFrom.id,
                JSONB(receipts.completedBody), ReceiptHash.sha256Hex(receipts.completedBody.canonicalBytes),
                receipts.readyID, receipts.readyFrom.kind.rawValue, receipts.readyFrom.id,
                JSONB(receipts.readyBody), ReceiptHash.sha256Hex(receipts.readyBody.canonicalBytes), instance,
            ])
        return (try Self.decodeCheck(rows.first), (rows.first?.int(17) ?? 0) == 1, rows.first?.int(18) ?? 0)
    }

    /// One item of `checkCompleteAndRecordMany`.
    public struct CompletionInput: Sendable {
        public var taskID: UUID
        public var leaseID: UUID
        public var workerID: String
        public var result: JSON
        public var artifacts: JSON?
        /// The receipts to write when the item passes (`from` of `task.completed` is the worker).
        public var receipts: CompletionReceipts
        public init(taskID: UUID, leaseID: UUID, workerID: String, result: JSON, artifacts: JSON?, receipts: CompletionReceipts) {
            self.taskID = taskID; self.leaseID = leaseID; self.workerID = workerID; self.result = result; self.artifacts = artifacts
            self.receipts = receipts
        }
    }

    /// `checkCompleteAndRecord` for a whole batch in ONE statement: every item is checked on its
    /// own and only the items that pass are written (lease released, task succeeded, its
    /// `task.completed` and `task.result_ready`); the others write nothing, so one stale lease never
    /// undoes its neighbours. Leases are locked in `lease_id` order, then tasks, as everywhere else.
    /// Items must name distinct tasks and be locatable (the completed receipt names the obligation).
    /// Returns, in input order, each item's check and whether it was written, and how many receipts
    /// were written.
    public func checkCompleteAndRecordMany(tenantID: UUID, _ items: [CompletionInput], instance: String) throws
        -> (items: [(check: LeaseCheck, completed: Bool)], receipts: Int) {
        guard !items.isEmpty else { return ([], 0) }
        let rows = try db.query("""
            WITH input AS (
                SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[],
                                     $7::uuid[], $8::text[], $9::jsonb[], $10::text[], $11::uuid[], $12::text[], $13::text[],
                                     $14::jsonb[], $15::text[], $17::text[])
                    WITH ORDINALITY AS i(task_id, lease_id, worker_id, result, artifacts,
                                         completed_id, completed_from_kind, completed_body, completed_sha256,
                                         ready_id, ready_from_kind, ready_from_id, ready_body, ready_sha256,
                                         completed_from_id, ord)
            ), l AS (
                -- One primary-key probe per lease, in lease_id order (the lock order everywhere). Not
                -- `lease_id = ANY (...)`: a generic plan made while the table was small walked every
                -- lease of the tenant for that (thousands of rows per batch until the plan was remade).
                SELECT x.* FROM (SELECT id FROM unnest($3::uuid[]) AS u(id) GROUP BY id ORDER BY id) k
                CROSS JOIN LATERAL (
                    SELECT ctid AS row_ctid, * FROM leases WHERE tenant_id = $1 AND lease_id = k.id FOR UPDATE
                ) x
            ), t AS (
                -- likewise one probe per task, locked (so that `done` can update it by ctid), and only
                -- once every lease is locked: the one-time filter runs `l` first (lease, then task)
                SELECT x.* FROM (SELECT id FROM unnest($2::uuid[]) AS u(id) GROUP BY id ORDER BY id) k
                CROSS JOIN LATERAL (
                    SELECT ctid AS task_ctid, task_id, status, created_by_kind, created_by_id, assigned_receipt_id,
                           attempt, max_attempts, retry_backoff_seconds
                    FROM tasks WHERE tenant_id = $1 AND task_id = k.id FOR UPDATE
                ) x
                WHERE (SELECT count(*) FROM l) >= 0
            ), c AS (
                SELECT i.ord, i.task_id AS item_task_id, i.lease_id AS item_lease_id,
                       i.result, i.artifacts, i.completed_id, i.completed_from_kind, i.completed_from_id, i.completed_body,
                       i.completed_sha256,
                       i.ready_id, i.ready_from_kind, i.ready_from_id, i.ready_body, i.ready_sha256, l.row_ctid,
                       t.task_ctid, t.status, t.created_by_kind, t.created_by_id, t.assigned_receipt_id, t.attempt,
                       t.max_attempts, t.retry_backoff_seconds,
                       \(Self.leaseColumns), l.released_at, l.release_reason,
                       (l.released_at IS NULL AND l.expires_at > now() AND l.worker_id = i.worker_id) AS valid
                FROM input i
                LEFT JOIN t ON t.task_id = i.task_id
                LEFT JOIN l ON l.lease_id = i.lease_id AND l.task_id = i.task_id
            ), rel AS (
                UPDATE leases SET released_at = now(), release_reason = 'completed'
                FROM c
                -- the rows locked above, by ctid alone: with no `tenant_id = $1` here no index
                -- (they all start with tenant_id) can compete with the TID scan, whatever the plan
                -- thinks of the table's size (the rows were found by tenant and key above)
                WHERE leases.ctid = c.row_ctid AND leases.lease_id = c.lease_id AND leases.released_at IS NULL
                  AND c.valid AND c.status IN ('leased', 'running')
                RETURNING leases.task_id
            ), done AS (
                UPDATE tasks t SET status = 'succeeded', outcome = 'succeeded', result = c.result, artifacts = c.artifacts,
                    completed_at = now(), updated_at = now()
                FROM c
                WHERE t.ctid = c.task_ctid AND t.task_id = c.item_task_id -- likewise
                  AND c.item_task_id = ANY (ARRAY(SELECT task_id FROM rel)) AND t.status IN ('leased', 'running')
                RETURNING t.task_id
            ), rc AS (
                INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id,
                    task_id, lease_id, parents, body, hash, asyncgate_instance)
                SELECT $1, v.receipt_id, v.receipt_type, v.from_kind, v.from_id, c.created_by_kind, c.created_by_id,
                    c.item_task_id, v.lease_id, v.parents::jsonb, v.body,
                    asyncgate_receipt_hash(v.receipt_type, c.item_task_id, v.from_kind, v.from_id, c.created_by_kind,
                                           c.created_by_id, v.lease_id, v.parents, v.body_sha256),
                    $16
                FROM c JOIN done ON done.task_id = c.item_task_id
                CROSS JOIN LATERAL (VALUES
                    (1, c.completed_id, 'task.completed', c.completed_from_kind, c.completed_from_id, c.item_lease_id,
                     '["' || c.assigned_receipt_id::text || '"]', c.completed_body, c.completed_sha256),
                    (2, c.ready_id, 'task.result_ready', c.ready_from_kind, c.ready_from_id, NULL::uuid,
                     '["' || c.completed_id::text || '"]', c.ready_body, c.ready_sha256)
                ) AS v(n, receipt_id, receipt_type, from_kind, from_id, lease_id, parents, body, body_sha256)
                ORDER BY c.ord, v.n
                ON CONFLICT (tenant_id, hash) DO NOTHING
                RETURNING receipt_id
            )
            SELECT c.status, c.created_by_kind, c.created_by_id, c.assigned_receipt_id, c.attempt, c.max_attempts,
                   c.retry_backoff_seconds, c.lease_id, c.task_id, c.worker_id, c.worker_instance_id, c.acquired_at,
                   c.expires_at, c.renewal_count, c.released_at, c.release_reason, c.valid,
                   EXISTS (SELECT 1 FROM done WHERE done.task_id = c.item_task_id), (SELECT count(*) FROM rc)
            FROM c ORDER BY c.ord
            """, [
                tenantID, PGArray(items.map { $0.taskID.lowercasedString }), PGArray(items.map { $0.leaseID.lowercasedString }),
                PGArray(items.map { $0.workerID }),
                PGArray(items.map { String(decoding: $0.result.serialized(), as: UTF8.self) }),
                PGArray(items.map { $0.artifacts.map { String(decoding: $0.serialized(), as: UTF8.self) } }),
                PGArray(items.map { $0.receipts.completedID.lowercasedString }),
                PGArray(items.map { $0.receipts.completedFrom.kind.rawValue }),
                PGArray(items.map { String(decoding: $0.receipts.completedBody.serialized(), as: UTF8.self) }),
                PGArray(items.map { ReceiptHash.sha256Hex($0.receipts.completedBody.canonicalBytes) }),
                PGArray(items.map { $0.receipts.readyID.lowercasedString }),
                PGArray(items.map { $0.receipts.readyFrom.kind.rawValue }),
                PGArray(items.map { $0.receipts.readyFrom.id }),
                PGArray(items.map { String(decoding: $0.receipts.readyBody.serialized(), as: UTF8.self) }),
                PGArray(items.map { ReceiptHash.sha256Hex($0.receipts.readyBody.canonicalBytes) }),
                instance,
                PGArray(items.map { $0.receipts.completedFrom.id }),
            ])
        guard rows.count == items.count else {
            throw PostgresError(code: .decodingFailed, sqlState: nil, message: "batch completion returned \(rows.count) rows for \(items.count) items")
        }
        let checks = try rows.map { row in (check: try Self.decodeCheck(row), completed: row.bool(17) ?? false) }
        return (checks, rows.first?.int(18) ?? 0)
    }

    /// What `checkAndFail` decided and wrote.
    public struct FailOutcome: Sendable {
        public var check: LeaseCheck
        /// Whether anything was written (the check passed and the task was leased or running).
        public var written: Bool
        /// The database's decision: requeue (true) or terminal failure, and the backoff it used.
        public var requeued: Bool
        public var backoffSeconds: Int
        public var nextEligibleAt: Date?
    }

    /// `checkAndComplete` for failures: when the check passes, the lease is released and the task
    /// either requeued (retryable with attempts left: attempt + 1, exponential backoff
    /// `base * 2^attempt` capped at `maxBackoffSeconds`) or failed for good — in ONE statement, lease
    /// before task. The retry policy is evaluated here in SQL on the locked rows; the engine checks
    /// the decision against `RetryPolicy` and rolls back if they ever disagree.
    public func checkAndFail(tenantID: UUID, taskID: UUID, leaseID: UUID, workerID: String, error: JSON, retryable: Bool, maxBackoffSeconds: Int) throws -> FailOutcome {
        let rows = try db.query("""
            \(Self.failCTEs)
            SELECT \(Self.failColumns)
            FROM c
            """, [tenantID, taskID, leaseID, workerID, retryable, JSONB(error), maxBackoffSeconds])
        return try Self.decodeFail(rows.first)
    }

    /// The check, release and requeue-or-fail of `checkAndFail` ($1-$7); selects from `c`.
    static let failCTEs = """
        WITH \(Self.lockedLease), c AS (
            SELECT \(Self.checkColumns),
                   ($5::bool AND t.attempt + 1 < t.max_attempts) AS requeue,
                   CASE WHEN t.retry_backoff_seconds <= 0 THEN 0
                        ELSE least(t.retry_backoff_seconds::numeric * power(2::numeric, least(greatest(t.attempt, 0), 30)),
                                   $7::int)::int END AS backoff
            \(Self.checkSource)
        ), rel AS (
            UPDATE leases SET released_at = now(),
                release_reason = CASE WHEN c.requeue THEN 'requeued' ELSE 'failed' END
            FROM c
            WHERE leases.ctid = (SELECT row_ctid FROM l) -- the row locked above: a TID scan in every plan
              AND leases.tenant_id = $1 AND leases.lease_id = $3 AND leases.released_at IS NULL
              AND c.valid AND c.status IN ('leased', 'running')
            RETURNING leases.lease_id
        ), done AS (
            UPDATE tasks t SET
                status = CASE WHEN c.requeue THEN 'queued' ELSE 'failed' END,
                outcome = CASE WHEN c.requeue THEN t.outcome ELSE 'failed' END,
                attempt = CASE WHEN c.requeue THEN t.attempt + 1 ELSE t.attempt END,
                error = $6::jsonb,
                next_eligible_at = CASE WHEN c.requeue THEN now() + make_interval(secs => c.backoff) ELSE t.next_eligible_at END,
                completed_at = CASE WHEN c.requeue THEN t.completed_at ELSE now() END,
                updated_at = now()
            FROM c
            WHERE t.tenant_id = $1 AND t.task_id = $2 AND t.status IN ('leased', 'running')
              AND EXISTS (SELECT 1 FROM rel)
            RETURNING t.next_eligible_at
        )
        """

    static let failColumns = """
        c.status, c.created_by_kind, c.created_by_id, c.assigned_receipt_id, c.attempt, c.max_attempts,
        c.retry_backoff_seconds, c.lease_id, c.task_id, c.worker_id, c.worker_instance_id, c.acquired_at,
        c.expires_at, c.renewal_count, c.released_at, c.release_reason, c.valid,
        c.requeue, c.backoff, (SELECT count(*) FROM done), (SELECT next_eligible_at FROM done)
        """

    static func decodeFail(_ row: PostgresRow?) throws -> FailOutcome {
        FailOutcome(check: try Self.decodeCheck(row), written: (row?.int(19) ?? 0) == 1,
                    requeued: row?.bool(17) ?? false, backoffSeconds: row?.int(18) ?? 0, nextEligibleAt: row?.date(20))
    }

    /// The receipts a failure writes, fixed before the statement: ids, and who they are from.
    public struct FailureReceipts: Sendable {
        /// `task.retry_scheduled` when the task is requeued, else `task.failed`.
        public var firstID: UUID
        public var worker: Principal
        /// `task.result_ready` (terminal failures only), from AsyncGate.
        public var readyID: UUID
        public var readyFrom: Principal
        public init(firstID: UUID, worker: Principal, readyID: UUID, readyFrom: Principal) {
            self.firstID = firstID; self.worker = worker; self.readyID = readyID; self.readyFrom = readyFrom
        }
    }

    /// `checkAndFail` and, when it writes, its receipts — ONE statement, so a failure is one round
    /// trip without an explicit transaction. Requeued: `task.retry_scheduled` (parents = the
    /// obligation, which stays open). Failed for good: `task.failed` (parents = the obligation, which
    /// the trigger discharges) and `task.result_ready`. Their bodies hold values only the statement
    /// knows (attempt, backoff, next_eligible_at), so they are written here as canonical JSON —
    /// keys in byte order, the error as `ReceiptHash` canonicalises it, timestamps as
    /// `Timestamp.rfc3339` — and hashed with `asyncgate_receipt_hash` (migrations/0007).
    public func checkFailAndRecord(tenantID: UUID, taskID: UUID, leaseID: UUID, workerID: String, error: JSON, retryable: Bool,
                                   maxBackoffSeconds: Int, receipts: FailureReceipts, instance: String) throws -> (FailOutcome, receipts: Int) {
        let (sql, binds) = Self.checkFailAndRecordStatement(
            tenantID: tenantID, taskID: taskID, leaseID: leaseID, workerID: workerID, error: error, retryable: retryable,
            maxBackoffSeconds: maxBackoffSeconds, receipts: receipts, instance: instance)
        return try Self.decodeFailAndRecord(try db.query(sql, binds))
    }

    /// The statement of `checkFailAndRecord` (rows decode with `decodeFailAndRecord`), for callers
    /// that pipeline several.
    public static func checkFailAndRecordStatement(tenantID: UUID, taskID: UUID, leaseID: UUID, workerID: String, error: JSON,
                                                   retryable: Bool, maxBackoffSeconds: Int, receipts: FailureReceipts,
                                                   instance: String) -> (String, [(any PostgresBindable)?]) {
        ("""
            \(Self.failCTEs), b AS (
                SELECT c.created_by_kind, c.created_by_id, c.assigned_receipt_id, c.requeue,
                       CASE WHEN c.requeue THEN
                           '{"attempt":' || (c.attempt + 1) || ',"backoff_seconds":' || c.backoff || ',"error":' || $8::text
                           || ',"next_eligible_at":"' || to_char(d.next_eligible_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                           || '","requeued":true}'
                       ELSE
                           '{"attempt":' || c.attempt || ',"error":' || $8::text
                           || ',"retryable":' || CASE WHEN $5::bool THEN 'true' ELSE 'false' END || '}'
                       END AS body
                FROM c CROSS JOIN done d
            ), rc AS (
                INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id,
                    task_id, lease_id, parents, body, hash, asyncgate_instance)
                SELECT $1, v.receipt_id, v.receipt_type, v.from_kind, v.from_id, b.created_by_kind, b.created_by_id, $2,
                    v.lease_id, v.parents::jsonb, v.body::jsonb,
                    asyncgate_receipt_hash(v.receipt_type, $2, v.from_kind, v.from_id, b.created_by_kind, b.created_by_id,
                                           v.lease_id, v.parents, encode(sha256(convert_to(v.body, 'UTF8')), 'hex')),
                    $15
                FROM b CROSS JOIN LATERAL (VALUES
                    (1, $9::uuid, CASE WHEN b.requeue THEN 'task.retry_scheduled' ELSE 'task.failed' END,
                     $11::text, $12::text, $3::uuid, '["' || b.assigned_receipt_id::text || '"]', b.body),
                    (2, $10::uuid, 'task.result_ready', $13::text, $14::text, NULL::uuid,
                     '["' || $9::uuid::text || '"]', '{"status":"failed"}')
                ) AS v(ord, receipt_id, receipt_type, from_kind, from_id, lease_id, parents, body)
                WHERE v.ord = 1 OR NOT b.requeue
                ORDER BY v.ord
                ON CONFLICT (tenant_id, hash) DO NOTHING
                RETURNING receipt_id
            )
            SELECT \(Self.failColumns), (SELECT count(*) FROM rc)
            FROM c
            """, [tenantID, taskID, leaseID, workerID, retryable, JSONB(error), maxBackoffSeconds,
                  String(decoding: error.canonicalBytes, as: UTF8.self),
                  receipts.firstID, receipts.readyID, receipts.worker.kind.rawValue, receipts.worker.id,
                  receipts.readyFrom.kind.rawValue, receipts.readyFrom.id, instance])
    }

    public static func decodeFailAndRecord(_ rows: PostgresResult) throws -> (FailOutcome, receipts: Int) {
        (try decodeFail(rows.first), rows.first?.int(21) ?? 0)
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
