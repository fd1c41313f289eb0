import AsyncGateClient
import Foundation
import JSON
import Logging

extension Scheduler {
    /// Turns due planned runs into tasks, one transaction per run (the run row stays locked while
    /// its task is created, so two schedulers never send it at the same time — and if they did, the
    /// idempotency key would still yield one task). Stops at the first transient API failure.
    func dispatchPendingRuns() throws -> Int {
        var dispatched = 0
        while dispatched < configuration.dispatchBatch {
            let now = clock.now()
            let outcome = try withTransaction { db -> DispatchOutcome in
                let runs = ScheduleRunRepository(db: db, tenantID: configuration.tenantID)
                guard let run = try runs.lockDispatchable(now: now, limit: 1).first else { return .nothingDue }
                let key = ScheduleRecord.idempotencyKey(scheduleID: run.scheduleID, runAt: run.runAt)
                let meta: Logger.Metadata = ["schedule.id": "\(run.scheduleID.uuidString.lowercased())", "schedule.run_at": "\(RFC3339.format(run.runAt))"]
                do {
                    let created = try client.createTask(run.template.newTask(idempotencyKey: key), owner: run.owner)
                    try crashHook?(.afterTaskCreated(scheduleID: run.scheduleID, runAt: run.runAt))
                    try runs.markCreated(run.scheduleID, runAt: run.runAt, taskID: created.taskID, now: now)
                    try ScheduleRepository(db: db, tenantID: configuration.tenantID).recordTask(run.scheduleID, taskID: created.taskID)
                    logger.info("schedule fired", metadata: meta.merging([
                        "task.id": "\(created.taskID.uuidString.lowercased())", "task.created": "\(created.created ?? true)",
                    ]) { $1 })
                    return .fired
                } catch let error as AsyncGateError where !Self.isPermanentRejection(error) {
                    try runs.markFailed(run.scheduleID, runAt: run.runAt, error: "\(error)",
                                        retryAt: now.addingTimeInterval(configuration.dispatchRetryDelay))
                    logger.warning("could not create the run's task; will retry", metadata: meta.merging(["error": "\(error)"]) { $1 })
                    return .serverTrouble
                } catch let error as AsyncGateError {
                    try runs.markRejected(run.scheduleID, runAt: run.runAt, error: "\(error)", now: now)
                    logger.error("the server rejected the run's task; the run is dropped", metadata: meta.merging(["error": "\(error)"]) { $1 })
                    return .fired
                }
            }
            switch outcome {
            case .nothingDue, .serverTrouble: return dispatched
            case .fired: dispatched += 1
            }
        }
        return dispatched
    }

    enum DispatchOutcome { case nothingDue, fired, serverTrouble }

    /// Whether the server refused this task for good (its content is invalid), as opposed to
    /// trouble that may pass — including a bad credential or a missing route, which must not make
    /// the scheduler silently drop runs while an operator fixes the deployment.
    static func isPermanentRejection(_ error: AsyncGateError) -> Bool {
        guard let status = error.status else { return false }
        return status == 400 || status == 413 || status == 422 || error.code == .forbiddenPrincipal
    }
}
