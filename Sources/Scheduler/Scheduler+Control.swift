import AsyncGateClient
import Foundation
import JSON
import Logging

extension Scheduler {
    /// Claims and applies `schedule.*` control tasks; returns how many were handled.
    func processControlTasks() throws -> Int {
        var request = ClaimRequest(workerID: configuration.workerID, acceptTypes: ControlCommand.taskTypes,
                                   maxTasks: configuration.controlBatch, leaseTTLSeconds: configuration.leaseTTLSeconds)
        request.workerInstanceID = configuration.instanceID
        let tasks = try client.claim(request)
        let processor = ControlProcessor(pool: pool, tenantID: configuration.tenantID)
        for task in tasks {
            let lease = task.lease(workerID: configuration.workerID)
            let meta: Logger.Metadata = ["task.id": "\(task.taskID.uuidString.lowercased())", "task.type": "\(task.type)"]
            do {
                let owner = try task.createdBy ?? client.getTask(task.taskID).createdBy
                let command = try ControlCommand.parse(type: task.type, payload: task.payload, taskID: task.taskID)
                let result = try processor.apply(command, owner: owner, controlTaskID: task.taskID, now: clock.now())
                try crashHook?(.afterControlApplied(taskID: task.taskID))
                let scheduleID = result["schedule"]?["schedule_id"]?.stringValue ?? ""
                try client.complete(lease, result: result,
                                    artifacts: [["type": "schedule", "uri": .string("asyncgate-scheduler://schedules/\(scheduleID)"),
                                                 "mime": "application/json"]])
                logger.info("control task applied", metadata: meta.merging(["schedule.id": "\(scheduleID)"]) { $1 })
            } catch let error as ControlError {
                logger.warning("control task failed", metadata: meta.merging(["error": "\(error)"]) { $1 })
                _ = try? client.fail(lease, error: ["kind": .string(error.kind), "message": .string(error.message)], retryable: error.retryable)
            } catch let error as AsyncGateError {
                // The server refused the completion, or the owner lookup failed: the lease expires and
                // the task comes back; applying it again is idempotent.
                logger.warning("control task not reported", metadata: meta.merging(["error": "\(error)"]) { $1 })
            }
        }
        return tasks.count
    }
}
