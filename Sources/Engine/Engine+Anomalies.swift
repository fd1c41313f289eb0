import Domain
import Foundation
import JSON
import Storage

extension Engine {
    /// Appends an informational `system.anomaly` receipt from the caller to `to` (e.g. the scheduler
    /// reporting an overdue schedule to its owner). Never changes any state; agents may not emit.
    /// Emitting the same anomaly twice returns the original receipt (hash dedupe).
    public func emitAnomaly(_ caller: Caller, from requested: Principal, to: Principal, taskID: UUID?, kind: String, details: JSON) throws -> UUID {
        try requireWorker(caller)
        let from = try actingPrincipal(caller, requested: requested)
        guard !to.isInternal else { throw EngineError(.forbiddenPrincipal, "anomalies are addressed to users, not to \(to.id)") }
        var body: [String: JSON] = details.objectValue ?? [:]
        body["kind"] = .string(kind)
        let receipt = NewReceipt(type: .systemAnomaly, from: from, to: to, taskID: taskID, leaseID: nil, body: .object(body))
        let id = try transaction(tenant: caller.tenantID) { db -> UUID in
            if let taskID, try !TaskRepository(db).exists(tenantID: caller.tenantID, taskID: taskID) {
                throw EngineError.taskNotFound(taskID.lowercasedString)
            }
            let ids = try append(db, tenant: caller.tenantID, [receipt])
            return ids[receipt.hash] ?? receipt.receiptID
        }
        counters.anomalies.add(1, ordering: .relaxed)
        return id
    }
}
