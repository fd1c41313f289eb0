import Domain
import Engine
import Foundation
import HTTP
import JSON
import Storage

extension AsyncGateAPI {
    static func queryPrincipal(_ c: RouteContext, kindParam: String, idParam: String) throws -> Principal {
        guard let kindRaw = c.input.query(kindParam), !kindRaw.isEmpty else {
            if let bound = c.caller.principal { return bound }
            throw EngineError(.invalidParameter, "\(kindParam) is required")
        }
        guard let kind = PrincipalKind(rawValue: kindRaw) else {
            throw EngineError(.invalidParameter, "\(kindParam) must be one of \(PrincipalKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let id = c.input.query(idParam), !id.isEmpty else { throw EngineError(.invalidParameter, "\(idParam) is required") }
        guard id.utf8.count <= Principal.maxIDLength else { throw EngineError(.invalidParameter, "\(idParam) is too long") }
        return Principal(kind: kind, id: id, instanceID: c.input.query("principal_instance_id"))
    }

    static func receiptPage(_ receipts: [ReceiptRecord], limit: Int) -> HTTPResponse {
        bytes(Wire.object(["receipts": .bytes(Wire.receiptArray(receipts)),
                           "next_cursor": .json(receipts.count == limit ? Wire.id(receipts.last?.receiptID) : .null)]))
    }

    @Sendable static func listReceipts(_ c: RouteContext) throws -> HTTPResponse {
        let to = try queryPrincipal(c, kindParam: "to_kind", idParam: "to_id")
        let limit = try c.input.queryInt("limit", default: 50, range: 1...200)
        let receipts = try c.engine.listReceipts(c.caller, to: to, since: try c.input.queryUUID("since_receipt_id"), limit: limit)
        return receiptPage(receipts, limit: limit)
    }

    @Sendable static func ledger(_ c: RouteContext) throws -> HTTPResponse {
        let i = c.input
        var status: TaskStatus?
        if let raw = i.query("status") {
            guard let s = TaskStatus(rawValue: raw) else { throw EngineError(.invalidParameter, "status is not a task status") }
            status = s
        }
        let filter = LedgerFilter(taskID: try i.queryUUID("task_id"), leaseID: try i.queryUUID("lease_id"),
                                  receiptType: i.query("receipt_type"), taskStatus: status)
        guard filter.taskID != nil || filter.leaseID != nil || filter.receiptType != nil || filter.taskStatus != nil else {
            throw EngineError(.invalidParameter, "give at least one of task_id, lease_id, status, receipt_type")
        }
        let limit = try i.queryInt("limit", default: 50, range: 1...200)
        return receiptPage(try c.engine.ledger(c.caller, filter: filter, since: try i.queryUUID("since_receipt_id"), limit: limit), limit: limit)
    }

    @Sendable static func getReceipt(_ c: RouteContext) throws -> HTTPResponse {
        bytes(Wire.receiptBytes(try c.engine.getReceipt(c.caller, receiptID: try c.pathUUID("receipt_id"))))
    }

    @Sendable static func ackReceipt(_ c: RouteContext) throws -> HTTPResponse {
        let by = try c.input.principal(defaultKind: .agent, bound: c.caller.principal)
        let ackID = try c.engine.ackReceipt(c.caller, receiptID: try c.pathUUID("receipt_id"), by: by)
        return json(["ok": true, "receipt_id": Wire.id(ackID)])
    }

    /// POST /v1/anomalies {to_kind, to_id, kind, details?, task_id?}: an informational
    /// `system.anomaly` receipt from the caller (workers, services, admins; not agents).
    @Sendable static func emitAnomaly(_ c: RouteContext) throws -> HTTPResponse {
        let i = c.input
        let from = try i.principal(defaultKind: .worker, bound: c.caller.principal)
        guard let toKindRaw = try i.string("to_kind"), let toKind = PrincipalKind(rawValue: toKindRaw) else {
            throw EngineError.validation("to_kind must be one of \(PrincipalKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let to = Principal(kind: toKind, id: try i.requiredString("to_id", maxLength: Principal.maxIDLength))
        let kind = try i.requiredString("kind", maxLength: 128)
        let id = try c.engine.emitAnomaly(c.caller, from: from, to: to, taskID: try i.uuid("task_id"), kind: kind,
                                          details: try i.object("details") ?? .object([:]))
        return json(["ok": true, "receipt_id": Wire.id(id)])
    }

    static func server(_ c: RouteContext) -> JSON {
        ["name": "AsyncGate", "version": .string(c.engine.configuration.version),
         "instance_id": .string(c.engine.instanceID), "environment": .string(c.engine.configuration.environment)]
    }

    @Sendable static func openObligations(_ c: RouteContext) throws -> HTTPResponse {
        let principal = try queryPrincipal(c, kindParam: "principal_kind", idParam: "principal_id")
        let limit = try c.input.queryInt("limit", default: 50, range: 1...200)
        let page = try c.engine.openObligations(c.caller, principal: principal, since: try c.input.queryUUID("since_receipt_id"), limit: limit)
        return bytes(Wire.object([
            "server": .json(server(c)), "relationship": .json(Wire.relationship(page.relationship)),
            "open_obligations": .bytes(Wire.receiptArray(page.openObligations)), "cursor": .json(Wire.id(page.cursor)),
        ]))
    }

    @Sendable static func bootstrap(_ c: RouteContext) throws -> HTTPResponse {
        let principal = try queryPrincipal(c, kindParam: "principal_kind", idParam: "principal_id")
        let maxItems = try c.input.queryInt("max_items", default: 50, range: 1...200)
        let page = try c.engine.bootstrap(c.caller, principal: principal, since: try c.input.queryUUID("since_receipt_id"), maxItems: maxItems)
        var headers = HTTPHeaders()
        headers.add("Deprecation", "true")
        headers.add("X-AsyncGate-Deprecated", "use GET /v1/obligations/open")
        headers.add("Link", "</v1/obligations/open>; rel=\"successor-version\"")
        let attention = Wire.object([
            "inbox_receipts": .bytes(Wire.receiptArray(page.inbox)),
            "assigned_tasks": .json(.array(page.assignedTasks.map(Wire.task))),
            "waiting_results": .bytes(Wire.receiptArray(page.waitingResults)),
            "running_or_scheduled": .json(.array(page.runningOrScheduled.map(Wire.task))),
            "anomalies": .bytes(Wire.receiptArray(page.anomalies)),
        ])
        return bytes(Wire.object([
            "server": .json(server(c)), "relationship": .json(Wire.relationship(page.relationship)),
            "attention": .bytes(attention), "cursor": .json(Wire.id(page.cursor)),
        ]), headers: headers)
    }
}
