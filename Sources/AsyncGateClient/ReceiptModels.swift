import Foundation
import JSON

public struct Receipt: Sendable {
    public var receiptID: UUID
    public var receiptType: String
    public var createdAt: Date
    public var from: Principal
    public var to: Principal
    public var taskID: UUID?
    public var leaseID: UUID?
    public var scheduleID: String?
    public var parents: [UUID]
    public var body: JSON
    public var deliveredAt: Date?
    public var hash: String?
    public var raw: JSON

    init(_ json: JSON) throws(AsyncGateError) {
        let o = try WireObject(json, context: "receipt")
        receiptID = try o.uuid("receipt_id")
        receiptType = try o.string("receipt_type")
        createdAt = try o.date("created_at")
        from = try o.principal("from")
        to = try o.principal("to")
        taskID = try o.optionalUUID("task_id")
        leaseID = try o.optionalUUID("lease_id")
        scheduleID = try o.optionalString("schedule_id")
        var parents: [UUID] = []
        for p in (o.has("parents") ? try o.array("parents") : []) {
            guard let s = p.stringValue, let id = UUID(uuidString: s) else { throw o.invalid("parents", "a list of UUIDs") }
            parents.append(id)
        }
        self.parents = parents
        body = o.json("body")
        deliveredAt = try o.optionalDate("delivered_at")
        hash = try o.optionalString("hash")
        raw = json
    }
}

public struct ReceiptPage: Sendable {
    public var receipts: [Receipt]
    /// Pass as `since` for the next page; nil on the last page.
    public var nextCursor: UUID?
}

/// Filters for the receipt ledger (at least one must be set).
public struct LedgerQuery: Sendable {
    public var taskID: UUID?
    public var leaseID: UUID?
    public var status: TaskStatus?
    public var receiptType: String?
    public var since: UUID?
    public var limit: Int?
    public init(taskID: UUID? = nil, leaseID: UUID? = nil, status: TaskStatus? = nil, receiptType: String? = nil,
                since: UUID? = nil, limit: Int? = nil) {
        self.taskID = taskID
        self.leaseID = leaseID
        self.status = status
        self.receiptType = receiptType
        self.since = since
        self.limit = limit
    }
}

/// `GET /v1/obligations/open`: what is still owed to a principal.
public struct ObligationsPage: Sendable {
    public var openObligations: [Receipt]
    public var cursor: UUID?
    public var server: JSON
    public var relationship: JSON
}

public struct Health: Sendable, Equatable {
    public var status: String
    public var service: String?
    public var version: String?
    public var instanceID: String?
    public var isHealthy: Bool { status == "healthy" }
}
