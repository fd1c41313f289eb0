import Domain
import Foundation
import JSON
import Postgres

public struct LedgerFilter: Sendable {
    public var taskID: UUID?
    public var leaseID: UUID?
    public var receiptType: String?
    /// Receipts of tasks currently in this status.
    public var taskStatus: TaskStatus?
    public init(taskID: UUID?, leaseID: UUID?, receiptType: String?, taskStatus: TaskStatus?) {
        self.taskID = taskID; self.leaseID = leaseID; self.receiptType = receiptType; self.taskStatus = taskStatus
    }
}

/// SQL for the append-only `receipts` ledger (and the trigger-maintained `open_obligations`).
public struct ReceiptRepository {
    let db: PostgresConnection
    public init(_ db: PostgresConnection) { self.db = db }

    static let columns = """
        r.receipt_id, r.receipt_type, r.from_kind, r.from_id, r.to_kind, r.to_id, r.task_id, r.lease_id,
        r.schedule_id, r.parents, r.body, r.hash, r.created_at, r.delivered_at, r.asyncgate_instance
        """

    public static func decode(_ row: PostgresRow) throws -> ReceiptRecord {
        let parents = (try row.json(9)?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(PostgresUUID.parse) }
        return ReceiptRecord(
            receiptID: try row.requireUUID(0), type: try row.requireString(1),
            from: Principal(kind: PrincipalKind(rawValue: try row.requireString(2)) ?? .system, id: try row.requireString(3)),
            to: Principal(kind: PrincipalKind(rawValue: try row.requireString(4)) ?? .system, id: try row.requireString(5)),
            taskID: row.uuid(6), leaseID: row.uuid(7), scheduleID: row.string(8), parents: parents,
            body: try row.json(10) ?? .object([:]), hash: try row.requireString(11), createdAt: try row.requireDate(12),
            deliveredAt: row.date(13), instance: row.string(14))
    }

    /// Appends receipts in emission order with one statement. A receipt whose hash already exists in
    /// the tenant is not written again; the result maps every input hash to the id that holds it
    /// (the original one for duplicates).
    @discardableResult
    public func append(tenantID: UUID, _ receipts: [NewReceipt], instance: String) throws -> [String: UUID] {
        guard !receipts.isEmpty else { return [:] }
        let rows = try db.query(Self.appendSQL, Self.appendBinds(tenantID: tenantID, receipts, instance: instance))
        var out: [String: UUID] = [:]
        for row in rows { if let id = row.uuid(1) { out[try row.requireString(0)] = id } }
        // A duplicate committed by a concurrent transaction while this statement ran is invisible
        // to its snapshot (ON CONFLICT waited for it, then skipped): look those up afresh.
        let missing = receipts.map(\.hash).filter { out[$0] == nil }
        if !missing.isEmpty {
            for row in try db.query("SELECT hash, receipt_id FROM receipts WHERE tenant_id = $1 AND hash = ANY ($2::text[])",
                                    [tenantID, PGArray(missing)]) {
                out[try row.requireString(0)] = try row.requireUUID(1)
            }
        }
        return out
    }

    /// Like `append`, for callers that do not need the ids back: the statement is sent together
    /// with the enclosing transaction's COMMIT (`queryBeforeCommit`), saving a round trip. Its
    /// errors surface from the transaction, which then rolls back.
    public func appendBeforeCommit(tenantID: UUID, _ receipts: [NewReceipt], instance: String) throws {
        guard !receipts.isEmpty else { return }
        try db.queryBeforeCommit(Self.appendSQL, Self.appendBinds(tenantID: tenantID, receipts, instance: instance))
    }

    // The lookup of an existing receipt is a correlated subquery, evaluated only for duplicates: as
    // a LEFT JOIN, a plan made while `receipts` had no statistics yet (a new database, before the
    // first autoanalyze) hash-joined a sequential scan of the whole ledger into every append —
    // measured at 10 ms per call after 10k receipts, 30x the index lookup.
    static let appendSQL = """
        WITH input AS (
            SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::uuid[], $9::uuid[], $10::jsonb[], $11::jsonb[], $12::text[])
                WITH ORDINALITY AS i(receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, task_id,
                                     lease_id, parents, body, hash, ord)
        ), ins AS (
            INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id,
                task_id, lease_id, parents, body, hash, asyncgate_instance)
            SELECT $1, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, task_id, lease_id,
                parents, body, hash, $13
            FROM input ORDER BY ord
            ON CONFLICT (tenant_id, hash) DO NOTHING
            RETURNING receipt_id, hash
        )
        SELECT i.hash, coalesce(ins.receipt_id,
                                (SELECT old.receipt_id FROM receipts old WHERE old.tenant_id = $1 AND old.hash = i.hash))
        FROM input i
        LEFT JOIN ins ON ins.hash = i.hash
        """

    static func appendBinds(tenantID: UUID, _ receipts: [NewReceipt], instance: String) -> [(any PostgresBindable)?] {
        [
            tenantID,
            PGArray(receipts.map { $0.receiptID.lowercasedString }),
            PGArray(receipts.map { $0.type.rawValue }),
            PGArray(receipts.map { $0.from.kind.rawValue }),
            PGArray(receipts.map { $0.from.id }),
            PGArray(receipts.map { $0.to.kind.rawValue }),
            PGArray(receipts.map { $0.to.id }),
            PGArray(receipts.map { $0.taskID?.lowercasedString }),
            PGArray(receipts.map { $0.leaseID?.lowercasedString }),
            PGArray(receipts.map { String(decoding: JSON.array($0.parents.map { .string($0.lowercasedString) }).serialized(), as: UTF8.self) }),
            PGArray(receipts.map { String(decoding: $0.body.serialized(), as: UTF8.self) }),
            PGArray(receipts.map { $0.hash }),
            instance,
        ]
    }

    public func exists(tenantID: UUID, receiptID: UUID) throws -> Bool {
        try !db.query("SELECT 1 FROM receipts WHERE tenant_id = $1 AND receipt_id = $2", [tenantID, receiptID]).isEmpty
    }

    public func get(tenantID: UUID, receiptID: UUID) throws -> ReceiptRecord? {
        let rows = try db.query("SELECT \(Self.columns) FROM receipts r WHERE r.tenant_id = $1 AND r.receipt_id = $2",
                                [tenantID, receiptID])
        return try rows.first.map(Self.decode)
    }

    /// All of the given ids that exist in the tenant (parent linkage check).
    public func existing(tenantID: UUID, ids: [UUID]) throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        let rows = try db.query("SELECT receipt_id FROM receipts WHERE tenant_id = $1 AND receipt_id = ANY ($2::uuid[])",
                                [tenantID, PGArray(ids.map { $0.lowercasedString })])
        return Set(rows.compactMap { $0.uuid(0) })
    }

    /// Inbox of a principal, oldest first, after the cursor receipt.
    public func listTo(tenantID: UUID, to: Principal, since: UUID?, limit: Int) throws -> [ReceiptRecord] {
        var filters = SQLFilters(fixed: [tenantID, to.kind.rawValue, to.id])
        filters.add(since, Self.after("r"))
        let rows = try db.query("""
            SELECT \(Self.columns) FROM receipts r
            WHERE r.tenant_id = $1 AND r.to_kind = $2 AND r.to_id = $3\(filters.sql)
            ORDER BY r.created_at, r.receipt_id
            LIMIT \(max(0, limit))
            """, filters.binds)
        return try rows.map(Self.decode)
    }

    /// Keyset condition: rows of `alias` after the cursor receipt in (created_at, receipt_id) order.
    static func after(_ alias: String) -> (String) -> String {
        { cursor in
            "(\(alias).created_at, \(alias).receipt_id) > (SELECT x.created_at, x.receipt_id FROM receipts x WHERE x.tenant_id = $1 AND x.receipt_id = \(cursor))"
        }
    }

    public func ledger(tenantID: UUID, filter: LedgerFilter, since: UUID?, limit: Int) throws -> [ReceiptRecord] {
        var filters = SQLFilters(fixed: [tenantID])
        filters.add(filter.taskID) { "r.task_id = \($0)" }
        filters.add(filter.leaseID) { "r.lease_id = \($0)" }
        filters.add(filter.receiptType) { "r.receipt_type = \($0)" }
        filters.add(filter.taskStatus?.rawValue) {
            "EXISTS (SELECT 1 FROM tasks t WHERE t.tenant_id = r.tenant_id AND t.task_id = r.task_id AND t.status = \($0))"
        }
        filters.add(since, Self.after("r"))
        let rows = try db.query("""
            SELECT \(Self.columns) FROM receipts r
            WHERE r.tenant_id = $1\(filters.sql)
            ORDER BY r.created_at, r.receipt_id
            LIMIT \(max(0, limit))
            """, filters.binds)
        return try rows.map(Self.decode)
    }

    /// Open obligations addressed to a principal, oldest first. Candidates come from the
    /// trigger-maintained open_obligations index (O(limit), flat in ledger size); each is verified
    /// against the ledger itself with a GIN containment probe for a terminator naming it as a parent,
    /// so the answer is database evidence, not inference.
    public func openObligations(tenantID: UUID, to: Principal, since: UUID?, limit: Int) throws -> [ReceiptRecord] {
        let (sql, binds) = Self.openObligationsStatement(tenantID: tenantID, to: to, since: since, limit: limit)
        return try db.query(sql, binds).map(Self.decode)
    }

    /// The statement of `openObligations` (rows decode with `decode`), for callers that pipeline it.
    public static func openObligationsStatement(tenantID: UUID, to: Principal, since: UUID?, limit: Int) -> (String, [(any PostgresBindable)?]) {
        // One statement: a page of candidates in order from open_obligations (index range scan,
        // O(limit)), then ONE batched termination check of the whole page against the ledger's GIN
        // index (asyncgate_discharged, migrations/0009: RLS would otherwise forbid the index).
        var filters = SQLFilters(fixed: [tenantID, to.kind.rawValue, to.id])
        filters.add(since, Self.after("o"))
        return ("""
            WITH c AS (
                SELECT o.tenant_id, o.receipt_id, o.created_at
                FROM open_obligations o
                WHERE o.tenant_id = $1 AND o.to_kind = $2 AND o.to_id = $3\(filters.sql)
                ORDER BY o.created_at, o.receipt_id
                LIMIT \(max(0, limit))
            ), discharged AS (
                SELECT asyncgate_discharged($1, ARRAY(SELECT receipt_id FROM c)) AS id
            )
            SELECT \(Self.columns)
            FROM c
            JOIN receipts r ON r.tenant_id = c.tenant_id AND r.receipt_id = c.receipt_id
            WHERE c.receipt_id NOT IN (SELECT id FROM discharged WHERE id IS NOT NULL)
            ORDER BY c.created_at, c.receipt_id
            """, filters.binds)
    }

    /// Receipts of a type addressed to a principal (bootstrap's anomaly bucket), oldest first.
    public func listToOfType(tenantID: UUID, to: Principal, type: String, limit: Int) throws -> [ReceiptRecord] {
        let rows = try db.query("""
            SELECT \(Self.columns) FROM receipts r
            WHERE r.tenant_id = $1 AND r.to_kind = $2 AND r.to_id = $3 AND r.receipt_type = $4
            ORDER BY r.created_at, r.receipt_id LIMIT \(max(0, limit))
            """, [tenantID, to.kind.rawValue, to.id, type])
        return try rows.map(Self.decode)
    }

    /// Delivery metadata only: the first time a receipt is handed out by bootstrap.
    public func markDelivered(tenantID: UUID, ids: [UUID]) throws {
        guard !ids.isEmpty else { return }
        _ = try db.query("""
            UPDATE receipts SET delivered_at = now()
            WHERE tenant_id = $1 AND receipt_id = ANY ($2::uuid[]) AND delivered_at IS NULL
            """, [tenantID, PGArray(ids.map { $0.lowercasedString })])
    }
}
