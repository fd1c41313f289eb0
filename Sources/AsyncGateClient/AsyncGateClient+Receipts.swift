import Foundation
import JSON

extension AsyncGateClient {
    /// `GET /v1/receipts`: receipts addressed to `to`, oldest first.
    public func receipts(to: Principal, since: UUID? = nil, limit: Int? = nil) throws(AsyncGateError) -> ReceiptPage {
        try receiptPage("/v1/receipts", [("to_kind", to.kind.rawValue), ("to_id", to.id),
                                         ("since_receipt_id", since.map(Self.pathID)), ("limit", limit.map(String.init))])
    }

    /// `GET /v1/receipts/ledger`.
    public func ledger(_ q: LedgerQuery) throws(AsyncGateError) -> ReceiptPage {
        try receiptPage("/v1/receipts/ledger", [
            ("task_id", q.taskID.map(Self.pathID)), ("lease_id", q.leaseID.map(Self.pathID)), ("status", q.status?.rawValue),
            ("receipt_type", q.receiptType), ("since_receipt_id", q.since.map(Self.pathID)), ("limit", q.limit.map(String.init)),
        ])
    }

    /// `GET /v1/receipts/{id}`.
    public func receipt(_ receiptID: UUID) throws(AsyncGateError) -> Receipt {
        try Receipt(try call("GET", "/v1/receipts/\(Self.pathID(receiptID))", safety: .idempotent).json)
    }

    /// `POST /v1/receipts/{id}/ack`: the id of the `receipt.acknowledged` receipt. Safe to repeat:
    /// the server dedupes the same logical receipt by its hash.
    @discardableResult
    public func ack(_ receiptID: UUID, by: Principal) throws(AsyncGateError) -> UUID? {
        var b = BodyBuilder()
        b.set("principal_kind", by.kind.rawValue)
        b.set("principal_id", by.id)
        let reply = try call("POST", "/v1/receipts/\(Self.pathID(receiptID))/ack", body: b.json, safety: .idempotent)
        return try WireObject(reply.json, context: "ack_receipt").optionalUUID("receipt_id")
    }

    /// `POST /v1/anomalies`: an informational `system.anomaly` receipt to `to`, from `from`. Safe to
    /// repeat: the same anomaly dedupes to the original receipt.
    @discardableResult
    public func emitAnomaly(from: Principal, to: Principal, kind: String, details: JSON, taskID: UUID? = nil) throws(AsyncGateError) -> UUID? {
        var b = BodyBuilder()
        b.set("principal_kind", from.kind.rawValue)
        b.set("principal_id", from.id)
        b.set("to_kind", to.kind.rawValue)
        b.set("to_id", to.id)
        b.set("kind", kind)
        b["details"] = details
        if let taskID { b.set("task_id", Self.pathID(taskID)) }
        let reply = try call("POST", "/v1/anomalies", body: b.json, safety: .idempotent)
        return try WireObject(reply.json, context: "emit_anomaly").optionalUUID("receipt_id")
    }

    /// `GET /v1/obligations/open`: what `principal` is still owed.
    public func openObligations(for principal: Principal, since: UUID? = nil, limit: Int? = nil) throws(AsyncGateError) -> ObligationsPage {
        let reply = try call("GET", "/v1/obligations/open", query: [
            ("principal_kind", principal.kind.rawValue), ("principal_id", principal.id),
            ("principal_instance_id", principal.instanceID), ("since_receipt_id", since.map(Self.pathID)),
            ("limit", limit.map(String.init)),
        ], safety: .idempotent)
        let o = try WireObject(reply.json, context: "open_obligations")
        var receipts: [Receipt] = []
        for r in try o.array("open_obligations") { receipts.append(try Receipt(r)) }
        return ObligationsPage(openObligations: receipts, cursor: try o.optionalUUID("cursor"),
                               server: o.json("server"), relationship: o.json("relationship"))
    }

    /// `GET /v1/health` (no credential needed). An unhealthy server (503 with a status body) is
    /// reported as a `Health` whose `isHealthy` is false, not as an error.
    public func health() throws(AsyncGateError) -> Health {
        // A 503 carrying a status body is the server's answer; any other 503 (overload) is retried.
        let reply = try call("GET", "/v1/health", safety: .idempotent) { $0.status == 503 && $0.json["status"]?.stringValue != nil }
        let o = try WireObject(reply.json, context: "health")
        return Health(status: try o.string("status"), service: try o.optionalString("service"),
                      version: try o.optionalString("version"), instanceID: try o.optionalString("instance_id"))
    }

    /// `GET /v1/config`, as JSON.
    public func serverConfig() throws(AsyncGateError) -> JSON {
        try call("GET", "/v1/config", safety: .idempotent).json
    }

    private func receiptPage(_ path: String, _ query: [(String, String?)]) throws(AsyncGateError) -> ReceiptPage {
        let o = try WireObject(try call("GET", path, query: query, safety: .idempotent).json, context: path)
        var receipts: [Receipt] = []
        for r in try o.array("receipts") { receipts.append(try Receipt(r)) }
        return ReceiptPage(receipts: receipts, nextCursor: try o.optionalUUID("next_cursor"))
    }
}
