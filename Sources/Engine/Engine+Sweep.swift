import Domain
import Foundation
import JSON
import Logging
import Storage

extension Engine {
    /// Requeues every task whose lease has expired (attempt unchanged), in batches; each batch is
    /// one transaction (lease release + task requeue + `lease.expired` receipts + anomalies).
    /// Safe with several instances sweeping at once (SKIP LOCKED). Returns how many were requeued.
    @discardableResult
    public func sweepExpiredLeases() throws -> Int {
        var total = 0
        while true {
            let batch = try transaction(tenant: nil) { db -> Int in
                let expired = try LeaseRepository(db).expireBatch(limit: configuration.sweepBatchSize)
                for (tenant, group) in Dictionary(grouping: expired, by: \.tenantID) {
                    var receipts: [NewReceipt] = []
                    for e in group {
                        let receipt = NewReceipt(
                            type: .leaseExpired, from: .asyncgate, to: e.owner, taskID: e.taskID, leaseID: e.leaseID,
                            parents: [e.assignedReceiptID],
                            body: ["previous_worker_id": .string(e.workerID), "attempt": .int(Int64(e.attempt)), "requeued": true])
                        receipts.append(receipt)
                        if e.expiryRequeues > 3 {
                            receipts.append(NewReceipt(
                                type: .systemAnomaly, from: .asyncgate, to: e.owner, taskID: e.taskID, leaseID: e.leaseID,
                                parents: [receipt.receiptID],
                                body: ["kind": "lease_expiry_requeues", "requeue_count": .int(Int64(e.expiryRequeues))]))
                            counters.anomalies.add(1, ordering: .relaxed)
                        }
                    }
                    _ = try append(db, tenant: tenant, receipts)
                }
                return expired.count
            }
            total += batch
            if batch < configuration.sweepBatchSize { break }
        }
        if total > 0 {
            counters.leasesExpired.add(total, ordering: .relaxed)
            logger.info("requeued tasks with expired leases", metadata: ["sweep.count": "\(total)"])
        }
        return total
    }
}

/// Runs the lease-expiry sweep on a timer until stopped.
/// @unchecked: the timer is configured in init and only resumed/cancelled afterwards (thread-safe in Dispatch).
public final class LeaseSweeper: @unchecked Sendable {
    private let engine: Engine
    private let timer: DispatchSourceTimer
    private let logger: Logger

    public init(engine: Engine, logger: Logger) {
        self.engine = engine
        self.logger = logger
        let queue = DispatchQueue(label: "asyncgate.lease-sweeper")
        timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = engine.configuration.leaseSweepIntervalSeconds
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
        timer.setEventHandler { [engine, logger] in
            do {
                try engine.sweepExpiredLeases()
            } catch {
                logger.error("lease sweep failed", metadata: ["error": "\(error)"])
            }
        }
    }

    public func start() { timer.resume() }
    public func stop() { timer.cancel() }
}
