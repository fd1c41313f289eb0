import Domain
import Foundation
import JSON
import Postgres
import Storage

public struct ObligationsPage: Sendable {
    public var relationship: Relationship
    public var openObligations: [ReceiptRecord]
    /// Id of the last obligation returned (pass as since_receipt_id for the next page); nil when empty.
    public var cursor: UUID?
}

public struct BootstrapPage: Sendable {
    public var relationship: Relationship
    public var inbox: [ReceiptRecord]
    public var assignedTasks: [TaskRecord]
    public var waitingResults: [ReceiptRecord]
    public var runningOrScheduled: [TaskRecord]
    public var anomalies: [ReceiptRecord]
    public var cursor: UUID?
}

extension Engine {
    public func listReceipts(_ caller: Caller, to requested: Principal, since: UUID?, limit: Int) throws -> [ReceiptRecord] {
        let to = try readablePrincipal(caller, requested)
        return try withConnection(tenant: caller.tenantID) { db in
            try Self.requireCursor(db, caller, since)
            return try ReceiptRepository(db).listTo(tenantID: caller.tenantID, to: to, since: since, limit: limit)
        }
    }

    /// A cursor that names no receipt would silently filter out every row forever: reject it.
    static func requireCursor(_ db: PostgresConnection, _ caller: Caller, _ since: UUID?) throws {
        guard let since else { return }
        guard try ReceiptRepository(db).exists(tenantID: caller.tenantID, receiptID: since) else {
            throw EngineError(.invalidParameter, "since_receipt_id \(since.lowercasedString) names no receipt; start again without it")
        }
    }

    public func ledger(_ caller: Caller, filter: LedgerFilter, since: UUID?, limit: Int) throws -> [ReceiptRecord] {
        guard caller.role == .admin || caller.role == .shared || caller.principal == nil else {
            throw EngineError(.forbidden, "the ledger is readable by admins only")
        }
        return try withConnection(tenant: caller.tenantID) { db in
            try Self.requireCursor(db, caller, since)
            return try ReceiptRepository(db).ledger(tenantID: caller.tenantID, filter: filter, since: since, limit: limit)
        }
    }

    public func getReceipt(_ caller: Caller, receiptID: UUID) throws -> ReceiptRecord {
        try withConnection(tenant: caller.tenantID) { db in
            guard let receipt = try ReceiptRepository(db).get(tenantID: caller.tenantID, receiptID: receiptID),
                  Self.mayRead(caller, receipt)
            else { throw EngineError(.receiptNotFound, "receipt \(receiptID.lowercasedString) not found") }
            return receipt
        }
    }

    /// Appends `receipt.acknowledged` (parents = [acked]) to AsyncGate; never mutates the acked
    /// receipt. Acking twice returns the same acknowledgement (hash dedupe).
    public func ackReceipt(_ caller: Caller, receiptID: UUID, by requested: Principal) throws -> UUID {
        let acker = try actingPrincipal(caller, requested: requested)
        return try transaction(tenant: caller.tenantID) { db in
            guard let acked = try ReceiptRepository(db).get(tenantID: caller.tenantID, receiptID: receiptID), Self.mayRead(caller, acked) else {
                throw EngineError(.receiptNotFound, "receipt \(receiptID.lowercasedString) not found")
            }
            let ack = NewReceipt(type: .receiptAcknowledged, from: acker, to: .asyncgate, taskID: acked.taskID, leaseID: nil,
                                 parents: [receiptID], body: ["acknowledged_type": .string(acked.type)])
            let ids = try append(db, tenant: caller.tenantID, [ack])
            return ids[ack.hash] ?? ack.receiptID
        }
    }

    /// The canonical bootstrap: obligations still owed to the principal, oldest first, after the
    /// cursor. Also records the relationship (first/last seen, sessions).
    public func openObligations(_ caller: Caller, principal requested: Principal, since: UUID?, limit: Int) throws -> ObligationsPage {
        let principal = try readablePrincipal(caller, requested)
        return try withConnection(tenant: caller.tenantID) { db in
            try Self.requireCursor(db, caller, since)
            // The relationship upsert and the page in ONE round trip (one implicit transaction).
            // That transaction commits asynchronously: it writes only the relationship's
            // bookkeeping (last seen, sessions), so the page never waits for a WAL flush. A crash
            // can forget the last fraction of a second of touches (wal_writer_delay), never a task
            // or a receipt, and a disk stall no longer stalls the agent's bootstrap.
            let results = try db.pipeline([
                RelationshipRepository.asynchronousCommitStatement,
                RelationshipRepository.touchStatement(tenantID: caller.tenantID, principal: principal),
                ReceiptRepository.openObligationsStatement(tenantID: caller.tenantID, to: principal, since: since, limit: limit),
            ])
            let relationship = try RelationshipRepository.decodeTouch(results[1], principal)
            let open = try results[2].map(ReceiptRepository.decode)
            return ObligationsPage(relationship: relationship, openObligations: open, cursor: open.last?.receiptID ?? since)
        }
    }

    /// Deprecated bucketed bootstrap, kept for old clients. Marks returned inbox receipts delivered.
    public func bootstrap(_ caller: Caller, principal requested: Principal, since: UUID?, maxItems: Int) throws -> BootstrapPage {
        let principal = try readablePrincipal(caller, requested)
        return try transaction(tenant: caller.tenantID) { db in
            let receipts = ReceiptRepository(db)
            let tasks = TaskRepository(db)
            try Self.requireCursor(db, caller, since)
            let relationship = try RelationshipRepository(db).touch(tenantID: caller.tenantID, principal: principal)
            let inbox = try receipts.listTo(tenantID: caller.tenantID, to: principal, since: since, limit: maxItems)
            let waiting = try receipts.openObligations(tenantID: caller.tenantID, to: principal, since: nil, limit: maxItems)
            let assigned = try tasks.list(tenantID: caller.tenantID, filter: TaskListFilter(
                statuses: [.queued, .leased, .running], type: nil, createdByID: principal.id, cursor: nil, limit: maxItems))
            let running = assigned.filter { $0.status == .leased || $0.status == .running || $0.nextEligibleAt > Date() }
            let anomalies = try receipts.listToOfType(tenantID: caller.tenantID, to: principal, type: ReceiptType.systemAnomaly.rawValue, limit: maxItems)
            try receipts.markDelivered(tenantID: caller.tenantID, ids: inbox.map(\.receiptID))
            return BootstrapPage(relationship: relationship, inbox: inbox, assignedTasks: assigned, waitingResults: waiting,
                                 runningOrScheduled: running, anomalies: anomalies, cursor: inbox.last?.receiptID ?? since)
        }
    }

    /// Reading a principal's receipts: a bound agent/worker credential reads only its own.
    func readablePrincipal(_ caller: Caller, _ requested: Principal) throws -> Principal {
        if requested.isInternal && caller.role != .admin {
            throw EngineError(.forbiddenPrincipal, "principal id \(requested.id) is reserved for AsyncGate")
        }
        if let bound = caller.principal, caller.role != .admin, bound.kind != requested.kind || bound.id != requested.id {
            throw EngineError(.forbiddenPrincipal, "credential is bound to \(bound.kind.rawValue):\(bound.id)")
        }
        return requested
    }

    static func mayRead(_ caller: Caller, _ receipt: ReceiptRecord) -> Bool {
        guard let bound = caller.principal, caller.role != .admin else { return true }
        return (receipt.to.kind == bound.kind && receipt.to.id == bound.id) || (receipt.from.kind == bound.kind && receipt.from.id == bound.id)
    }
}
