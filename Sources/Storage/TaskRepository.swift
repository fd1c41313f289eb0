import Domain
import Foundation
import JSON
import Postgres

/// A task to insert. Ids are chosen by the caller so the task.assigned receipt (whose hash names the
/// task) can be written by the same statement.
public struct TaskInsert: Sendable {
    public var tenantID: UUID
    public var taskID: UUID
    public var type: String
    public var payload: JSON
    public var payloadPointer: String?
    public var createdBy: Principal
    public var principalAI: String?
    public var requirements: JSON
    public var requiredCapabilities: [String]
    public var expectedOutcomeKind: String?
    public var expectedArtifactMime: String?
    public var priority: Int
    public var maxAttempts: Int
    public var retryBackoffSeconds: Int
    public var idempotencyKey: String?
    public var delaySeconds: Double

    public init(tenantID: UUID, taskID: UUID, type: String, payload: JSON, payloadPointer: String?, createdBy: Principal, principalAI: String?, requirements: JSON, requiredCapabilities: [String], expectedOutcomeKind: String?, expectedArtifactMime: String?, priority: Int, maxAttempts: Int, retryBackoffSeconds: Int, idempotencyKey: String?, delaySeconds: Double) {
        self.tenantID = tenantID; self.taskID = taskID; self.type = type; self.payload = payload
        self.payloadPointer = payloadPointer; self.createdBy = createdBy; self.principalAI = principalAI
        self.requirements = requirements; self.requiredCapabilities = requiredCapabilities
        self.expectedOutcomeKind = expectedOutcomeKind; self.expectedArtifactMime = expectedArtifactMime
        self.priority = priority; self.maxAttempts = maxAttempts; self.retryBackoffSeconds = retryBackoffSeconds
        self.idempotencyKey = idempotencyKey; self.delaySeconds = delaySeconds
    }
}

/// One lease a claim statement may hand out (`TaskRepository.claimAvailableStatement`).
public struct ClaimSlot: Sendable {
    public var leaseID: UUID
    public var receiptID: UUID
    public var worker: Principal
    public var ttlSeconds: Int
    public init(leaseID: UUID, receiptID: UUID, worker: Principal, ttlSeconds: Int) {
        self.leaseID = leaseID; self.receiptID = receiptID; self.worker = worker; self.ttlSeconds = ttlSeconds
    }
}

/// What the claim looks for.
public struct ClaimFilter: Sendable {
    public var capabilities: [String]
    public var acceptTypes: [String]?
    public var limit: Int
    public init(capabilities: [String], acceptTypes: [String]?, limit: Int) {
        self.capabilities = capabilities; self.acceptTypes = acceptTypes; self.limit = limit
    }
}

public struct TaskListFilter: Sendable {
    public var statuses: [TaskStatus]?
    public var type: String?
    public var createdByID: String?
    public var cursor: UUID?
    public var limit: Int
    public init(statuses: [TaskStatus]?, type: String?, createdByID: String?, cursor: UUID?, limit: Int) {
        self.statuses = statuses; self.type = type; self.createdByID = createdByID; self.cursor = cursor; self.limit = limit
    }
}

/// SQL for the `tasks` table. Every statement is tenant-scoped and parameterised.
public struct TaskRepository {
    let db: PostgresConnection
    public init(_ db: PostgresConnection) { self.db = db }

    static let columns = """
        t.tenant_id, t.task_id, t.type, t.payload, t.payload_pointer, t.created_by_kind, t.created_by_id,
        t.principal_ai, t.requirements, t.expected_outcome_kind, t.expected_artifact_mime, t.priority,
        t.status, t.attempt, t.max_attempts, t.retry_backoff_seconds, t.idempotency_key,
        t.next_eligible_at, t.created_at, t.updated_at, t.started_at, t.assigned_receipt_id, t.outcome,
        t.result, t.error, t.artifacts, t.completed_at, t.progress
        """
    static let columnCount = 28

    static func decode(_ row: PostgresRow, offset o: Int = 0) throws -> TaskRecord {
        guard let kind = PrincipalKind(rawValue: try row.requireString(o + 5)),
              let status = TaskStatus(rawValue: try row.requireString(o + 12))
        else { throw PostgresError(code: .decodingFailed, sqlState: nil, message: "unknown principal kind or status in tasks row") }
        return TaskRecord(
            tenantID: try row.requireUUID(o + 0), taskID: try row.requireUUID(o + 1),
            type: try row.requireString(o + 2), payload: try row.json(o + 3) ?? .object([:]),
            payloadPointer: row.string(o + 4), createdBy: Principal(kind: kind, id: try row.requireString(o + 6)),
            principalAI: row.string(o + 7), requirements: try row.json(o + 8) ?? .object([:]),
            expectedOutcomeKind: row.string(o + 9), expectedArtifactMime: row.string(o + 10),
            priority: try row.requireInt(o + 11), status: status, attempt: try row.requireInt(o + 13),
            maxAttempts: try row.requireInt(o + 14), retryBackoffSeconds: try row.requireInt(o + 15),
            idempotencyKey: row.string(o + 16), nextEligibleAt: try row.requireDate(o + 17),
            createdAt: try row.requireDate(o + 18), updatedAt: try row.requireDate(o + 19),
            startedAt: row.date(o + 20), assignedReceiptID: try row.requireUUID(o + 21),
            outcome: row.string(o + 22), result: try row.json(o + 23), error: try row.json(o + 24),
            artifacts: try row.json(o + 25), completedAt: row.date(o + 26), progress: try row.json(o + 27))
    }

    /// Inserts the task and its `task.assigned` receipt in ONE statement (atomic without an explicit
    /// transaction, one round trip). Returns nil when the idempotency key already names a task.
    /// Parked long-poll claims are told by the engine after the commit (`TaskAnnouncer`), not by a
    /// NOTIFY in this statement: a committing NOTIFY takes PostgreSQL's one notification lock until
    /// the commit is durable, which serialised every create (cycle: 594-695 jobs/s with it, 756-778
    /// without).
    public func insertWithAssignedReceipt(_ task: TaskInsert, receipt: NewReceipt, instance: String) throws -> (taskID: UUID, status: TaskStatus)? {
        let (sql, binds) = Self.insertWithAssignedReceiptStatement(task, receipt: receipt, instance: instance)
        return try Self.decodeInsert(try db.query(sql, binds))
    }

    /// The statement of `insertWithAssignedReceipt` (rows decode with `decodeInsert`), for callers
    /// that pipeline several.
    public static func insertWithAssignedReceiptStatement(_ task: TaskInsert, receipt: NewReceipt, instance: String)
        -> (String, [(any PostgresBindable)?]) {
        ("""
            WITH t AS (
                INSERT INTO tasks (\(insertColumns))
                VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::jsonb, $10::text[], $11, $12, $13, $14, $15,
                    $16, now() + make_interval(secs => $17::float8), $18)
                ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING tenant_id, task_id, status
            ), r AS (
                INSERT INTO receipts (\(assignedReceiptColumns))
                SELECT t.tenant_id, $18, $19, $20, $21, $22, $23, t.task_id, '[]'::jsonb, $24::jsonb, $25, $26
                FROM t
                RETURNING receipt_id
            )
            SELECT t.task_id, t.status, (SELECT count(*) FROM r)
            FROM t
            """, [
                task.tenantID, task.taskID, task.type, JSONB(task.payload), task.payloadPointer,
                task.createdBy.kind.rawValue, task.createdBy.id, task.principalAI, JSONB(task.requirements),
                PGArray(task.requiredCapabilities), task.expectedOutcomeKind, task.expectedArtifactMime,
                task.priority, task.maxAttempts, task.retryBackoffSeconds, task.idempotencyKey,
                task.delaySeconds, receipt.receiptID, receipt.type.rawValue, receipt.from.kind.rawValue,
                receipt.from.id, receipt.to.kind.rawValue, receipt.to.id, JSONB(receipt.body), receipt.hash,
                instance,
            ])
    }

    static let insertColumns = """
        tenant_id, task_id, type, payload, payload_pointer, created_by_kind, created_by_id, principal_ai,
        requirements, required_capabilities, expected_outcome_kind, expected_artifact_mime, priority, max_attempts,
        retry_backoff_seconds, idempotency_key, next_eligible_at, assigned_receipt_id
        """
    static let assignedReceiptColumns = """
        tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, task_id, parents, body, hash,
        asyncgate_instance
        """

    /// `insertWithAssignedReceiptStatement` for many tasks of one tenant in ONE statement (one set
    /// of rows per table instead of one statement execution per task): rows are inserted in the
    /// given order; a task whose idempotency key already names a task (an earlier one, or one
    /// earlier in this list) writes nothing. Rows decode with `decodeInsertMany`.
    public static func insertManyWithAssignedReceiptsStatement(tenantID: UUID, _ items: [(task: TaskInsert, receipt: NewReceipt)],
                                                               instance: String) -> (String, [(any PostgresBindable)?]) {
        func texts(_ f: (TaskInsert, NewReceipt) -> String?) -> PGArray { PGArray(items.map { f($0.task, $0.receipt) }) }
        func json(_ value: JSON) -> String { String(decoding: value.serialized(), as: UTF8.self) }
        return ("""
            WITH i AS (
                SELECT * FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::text[], $6::text[], $7::text[], $8::text[],
                                     $9::jsonb[], $10::jsonb[], $11::text[], $12::text[], $13::int[], $14::int[], $15::int[],
                                     $16::text[], $17::float8[], $18::uuid[], $19::text[], $20::text[], $21::text[],
                                     $22::text[], $23::text[], $24::jsonb[], $25::text[])
                    WITH ORDINALITY AS i(task_id, type, payload, payload_pointer, created_by_kind, created_by_id,
                                         principal_ai, requirements, capabilities, expected_outcome_kind,
                                         expected_artifact_mime, priority, max_attempts, retry_backoff_seconds,
                                         idempotency_key, delay, receipt_id, receipt_type, from_kind, from_id, to_kind,
                                         to_id, body, hash, ord)
            ), t AS (
                INSERT INTO tasks (\(insertColumns))
                SELECT $1, i.task_id, i.type, i.payload, i.payload_pointer, i.created_by_kind, i.created_by_id,
                    i.principal_ai, i.requirements, ARRAY(SELECT jsonb_array_elements_text(i.capabilities)),
                    i.expected_outcome_kind, i.expected_artifact_mime, i.priority, i.max_attempts,
                    i.retry_backoff_seconds, i.idempotency_key, now() + make_interval(secs => i.delay), i.receipt_id
                FROM i ORDER BY i.ord
                ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING tenant_id, task_id, status
            ), r AS (
                INSERT INTO receipts (\(assignedReceiptColumns))
                SELECT t.tenant_id, i.receipt_id, i.receipt_type, i.from_kind, i.from_id, i.to_kind, i.to_id, t.task_id,
                    '[]'::jsonb, i.body, i.hash, $26
                FROM t JOIN i ON i.task_id = t.task_id
                ORDER BY i.ord
                RETURNING receipt_id
            )
            SELECT t.task_id, t.status, (SELECT count(*) FROM r)
            FROM t
            """, [
                tenantID, texts { t, _ in t.taskID.lowercasedString }, texts { t, _ in t.type }, texts { t, _ in json(t.payload) },
                texts { t, _ in t.payloadPointer }, texts { t, _ in t.createdBy.kind.rawValue }, texts { t, _ in t.createdBy.id },
                texts { t, _ in t.principalAI }, texts { t, _ in json(t.requirements) },
                texts { t, _ in json(.array(t.requiredCapabilities.map { .string($0) })) },
                texts { t, _ in t.expectedOutcomeKind }, texts { t, _ in t.expectedArtifactMime },
                texts { t, _ in String(t.priority) }, texts { t, _ in String(t.maxAttempts) },
                texts { t, _ in String(t.retryBackoffSeconds) }, texts { t, _ in t.idempotencyKey },
                texts { t, _ in String(t.delaySeconds) }, texts { _, r in r.receiptID.lowercasedString },
                texts { _, r in r.type.rawValue }, texts { _, r in r.from.kind.rawValue }, texts { _, r in r.from.id },
                texts { _, r in r.to.kind.rawValue }, texts { _, r in r.to.id }, texts { _, r in json(r.body) },
                texts { _, r in r.hash }, instance,
            ])
    }

    /// The tasks `insertManyWithAssignedReceiptsStatement` created (by id), and how many
    /// `task.assigned` receipts it wrote.
    public static func decodeInsertMany(_ rows: PostgresResult) throws -> (created: [UUID: TaskStatus], receipts: Int) {
        var created: [UUID: TaskStatus] = [:]
        for row in rows { created[try row.requireUUID(0)] = TaskStatus(rawValue: try row.requireString(1)) ?? .queued }
        return (created, rows.first?.int(2) ?? 0)
    }

    /// The created task, or nil when the idempotency key already named one (nothing written).
    public static func decodeInsert(_ rows: PostgresResult) throws -> (taskID: UUID, status: TaskStatus)? {
        guard let row = rows.first else { return nil }
        return (try row.requireUUID(0), TaskStatus(rawValue: try row.requireString(1)) ?? .queued)
    }

    public func findByIdempotencyKey(tenantID: UUID, key: String) throws -> (taskID: UUID, status: TaskStatus)? {
        let rows = try db.query(
            "SELECT task_id, status FROM tasks WHERE tenant_id = $1 AND idempotency_key = $2",
            [tenantID, key])
        guard let row = rows.first else { return nil }
        return (try row.requireUUID(0), TaskStatus(rawValue: try row.requireString(1)) ?? .queued)
    }

    public func get(tenantID: UUID, taskID: UUID, forUpdate: Bool = false) throws -> TaskRecord? {
        let rows = try db.query(
            "SELECT \(Self.columns) FROM tasks t WHERE t.tenant_id = $1 AND t.task_id = $2" + (forUpdate ? " FOR UPDATE" : ""),
            [tenantID, taskID])
        return try rows.first.map { try Self.decode($0) }
    }

    /// Claims up to `limit` eligible tasks, creates their leases and writes their `task.accepted`
    /// receipts, all in ONE statement (one round trip, atomic without an explicit transaction).
    /// Returns the claimed tasks and how many receipts were written (one per task).
    /// Filters (capabilities ⊆ offered, accepted types) run in SQL before the LIMIT, so a claim never
    /// returns fewer tasks than are eligible; SKIP LOCKED makes concurrent claimers take disjoint rows.
    ///
    /// The receipt's hash (SPEC §5) is computed in SQL (`asyncgate_receipt_hash`, migrations/0007),
    /// because its body names values only this statement knows (attempt, lease expiry, owner,
    /// obligation); the body's canonical JSON is spelled out here (keys in byte order, strings
    /// escaped by `to_json` exactly as `JSONEscaping` does, the expiry as `Timestamp.rfc3339`).
    /// A test recomputes every such hash with `ReceiptHash` over awkward principal ids.
    /// The statement that claims (rows decode with `decodeClaim`). It is always sent on its own
    /// (committed alone: one round trip) or pipelined behind another statement of the same
    /// transaction (a create handing its task to a parked long-poll claim, `Engine.createTask`).
    ///
    /// One lease per slot: the k-th task taken (in priority order) goes to `slots[k]`, whose worker,
    /// lease TTL and fresh lease and receipt ids it gets. One claim's slots all name its worker; a
    /// group commit of several workers' single-task claims with the same filter
    /// (`Engine.claimCoalesced`) gives each worker one slot.
    public static func claimAvailableStatement(tenantID: UUID, filter: ClaimFilter, slots: [ClaimSlot], instance: String)
        -> (String, [(any PostgresBindable)?]) {
        // Two statement texts, so each generic plan (TenantScope.makePool) walks its own index:
        // tasks_leasable_by_type with accepted types, tasks_leasable without ($3 is NULL then).
        // The LIMIT is written into the text (an Int): a generic plan guesses 10 % of the
        // queue for `LIMIT $n` and could trade the ordered index walk for a sort of the backlog.
        let typeFilter = filter.acceptTypes == nil ? "AND $3::text[] IS NULL" : "AND type = ANY ($3::text[])"
        return ("""
            WITH c AS (
                SELECT tenant_id, task_id, row_ctid, row_number() OVER () AS n
                FROM (
                    SELECT tenant_id, task_id, ctid AS row_ctid FROM tasks
                    WHERE tenant_id = $1 AND status = 'queued' AND next_eligible_at <= now()
                      AND required_capabilities <@ $2::text[] \(typeFilter)
                    ORDER BY priority DESC, created_at, task_id
                    LIMIT \(max(0, slots.count))
                    FOR UPDATE SKIP LOCKED
                ) picked
            ), l AS (
                INSERT INTO leases (tenant_id, lease_id, task_id, worker_id, worker_instance_id, acquired_at, expires_at)
                SELECT c.tenant_id, ($4::uuid[])[c.n], c.task_id, ($5::text[])[c.n], ($6::text[])[c.n], now(),
                       now() + make_interval(secs => ($7::int[])[c.n])
                FROM c
                RETURNING task_id, lease_id, expires_at
            ), u AS (
                UPDATE tasks t SET status = 'leased', updated_at = now()
                -- the rows locked above, by ctid: a TID scan in every plan (a generic plan made while
                -- the table was empty joined a sequential scan of it here, measured at 2 ms per claim)
                FROM c WHERE t.ctid = c.row_ctid AND t.tenant_id = c.tenant_id AND t.task_id = c.task_id
                RETURNING t.*
            ), a AS (
                SELECT u.tenant_id, u.task_id, u.created_by_kind, u.created_by_id, u.assigned_receipt_id, l.lease_id,
                       ($8::uuid[])[c.n] AS receipt_id, ($9::text[])[c.n] AS worker_kind, ($5::text[])[c.n] AS worker_id,
                       '{"attempt":' || u.attempt
                           || ',"lease_expires_at":"' || to_char(l.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"'
                           || coalesce(',"worker_instance_id":' || to_json(($6::text[])[c.n])::text, '') || '}' AS body
                FROM u JOIN l ON l.task_id = u.task_id JOIN c ON c.task_id = u.task_id
            ), r AS (
                INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id,
                    task_id, lease_id, parents, body, hash, asyncgate_instance)
                SELECT a.tenant_id, a.receipt_id, 'task.accepted', a.worker_kind, a.worker_id, a.created_by_kind,
                    a.created_by_id, a.task_id, a.lease_id, jsonb_build_array(a.assigned_receipt_id::text), a.body::jsonb,
                    asyncgate_receipt_hash('task.accepted', a.task_id, a.worker_kind, a.worker_id, a.created_by_kind,
                                           a.created_by_id, a.lease_id, '["' || a.assigned_receipt_id::text || '"]',
                                           encode(sha256(convert_to(a.body, 'UTF8')), 'hex')),
                    $10
                FROM a
                ON CONFLICT (tenant_id, hash) DO NOTHING
                RETURNING receipt_id
            )
            SELECT \(Self.columns), l.lease_id, l.expires_at, (SELECT count(*) FROM r)
            FROM u t JOIN l ON l.task_id = t.task_id
            ORDER BY t.priority DESC, t.created_at, t.task_id
            """, [
                tenantID, PGArray(filter.capabilities), filter.acceptTypes.map { PGArray($0) },
                PGArray(slots.map { $0.leaseID.lowercasedString }), PGArray(slots.map { $0.worker.id }),
                PGArray(slots.map { $0.worker.instanceID }), PGArray(slots.map { String($0.ttlSeconds) }),
                PGArray(slots.map { $0.receiptID.lowercasedString }), PGArray(slots.map { $0.worker.kind.rawValue }), instance,
            ])
    }

    /// The claimed tasks and how many `task.accepted` receipts were written (a duplicate hash, which
    /// would need a colliding lease id, is not written twice).
    public static func decodeClaim(_ rows: PostgresResult) throws -> (claimed: [ClaimedTask], receipts: Int) {
        let claimed = try rows.map { row in
            ClaimedTask(task: try Self.decode(row), leaseID: try row.requireUUID(Self.columnCount),
                        expiresAt: try row.requireDate(Self.columnCount + 1))
        }
        return (claimed, rows.first?.int(Self.columnCount + 2) ?? 0)
    }

    public func markRunning(tenantID: UUID, taskID: UUID) throws -> Date? {
        let rows = try db.query("""
            UPDATE tasks SET status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
            WHERE tenant_id = $1 AND task_id = $2 AND status = 'leased'
            RETURNING started_at
            """, [tenantID, taskID])
        return rows.first?.date(0)
    }

    public func setProgress(tenantID: UUID, taskID: UUID, progress: JSON) throws {
        _ = try db.query("""
            UPDATE tasks SET progress = $3::jsonb, updated_at = now()
            WHERE tenant_id = $1 AND task_id = $2
            """, [tenantID, taskID, JSONB(progress)])
    }

    /// Terminal success. Guarded by status so a terminal task can never change again.
    public func markSucceeded(tenantID: UUID, taskID: UUID, result: JSON, artifacts: JSON?) throws -> Bool {
        let rows = try db.query("""
            UPDATE tasks SET status = 'succeeded', outcome = 'succeeded', result = $3::jsonb, artifacts = $4::jsonb,
                completed_at = now(), updated_at = now()
            WHERE tenant_id = $1 AND task_id = $2 AND status IN ('leased', 'running')
            """, [tenantID, taskID, JSONB(result), artifacts.map(JSONB.init)])
        return rows.affectedRows == 1
    }

    public func markFailed(tenantID: UUID, taskID: UUID, error: JSON) throws -> Bool {
        let rows = try db.query("""
            UPDATE tasks SET status = 'failed', outcome = 'failed', error = $3::jsonb,
                completed_at = now(), updated_at = now()
            WHERE tenant_id = $1 AND task_id = $2 AND status IN ('leased', 'running')
            """, [tenantID, taskID, JSONB(error)])
        return rows.affectedRows == 1
    }

    /// Retryable failure with attempts left: back to the queue after the backoff, attempt + 1.
    public func requeueAfterFailure(tenantID: UUID, taskID: UUID, error: JSON, backoffSeconds: Int) throws -> Date? {
        let rows = try db.query("""
            UPDATE tasks SET status = 'queued', attempt = attempt + 1, error = $3::jsonb,
                next_eligible_at = now() + make_interval(secs => $4), updated_at = now()
            WHERE tenant_id = $1 AND task_id = $2 AND status IN ('leased', 'running')
            RETURNING next_eligible_at
            """, [tenantID, taskID, JSONB(error), backoffSeconds])
        return rows.first?.date(0)
    }

    public func markCanceled(tenantID: UUID, taskID: UUID, reason: String?) throws -> Bool {
        let rows = try db.query("""
            UPDATE tasks SET status = 'canceled', outcome = 'canceled',
                error = CASE WHEN $3::text IS NULL THEN NULL ELSE jsonb_build_object('reason', $3::text) END,
                completed_at = now(), updated_at = now()
            WHERE tenant_id = $1 AND task_id = $2 AND status IN ('queued', 'leased', 'running')
            """, [tenantID, taskID, reason])
        return rows.affectedRows == 1
    }

    /// Newest first, keyset cursor on (created_at, task_id) of the cursor task: never skips rows that
    /// share a timestamp, stable under concurrent inserts.
    public func list(tenantID: UUID, filter: TaskListFilter) throws -> [TaskRecord] {
        var filters = SQLFilters(fixed: [tenantID])
        filters.add(filter.statuses.map { PGArray($0.map(\.rawValue)) }) { "t.status = ANY (\($0)::text[])" }
        filters.add(filter.type) { "t.type = \($0)" }
        filters.add(filter.createdByID) { "t.created_by_id = \($0)" }
        filters.add(filter.cursor) {
            "(t.created_at, t.task_id) < (SELECT c.created_at, c.task_id FROM tasks c WHERE c.tenant_id = $1 AND c.task_id = \($0))"
        }
        let rows = try db.query("""
            SELECT \(Self.columns) FROM tasks t
            WHERE t.tenant_id = $1\(filters.sql)
            ORDER BY t.created_at DESC, t.task_id DESC
            LIMIT \(max(0, filter.limit))
            """, filters.binds)
        return try rows.map { try Self.decode($0) }
    }

    public func exists(tenantID: UUID, taskID: UUID) throws -> Bool {
        try !db.query("SELECT 1 FROM tasks WHERE tenant_id = $1 AND task_id = $2", [tenantID, taskID]).isEmpty
    }

    public func countByStatus(tenantID: UUID) throws -> [String: Int] {
        let rows = try db.query("SELECT status, count(*) FROM tasks WHERE tenant_id = $1 GROUP BY status", [tenantID])
        var out: [String: Int] = [:]
        for row in rows { out[try row.requireString(0)] = try row.requireInt(1) }
        return out
    }
}
