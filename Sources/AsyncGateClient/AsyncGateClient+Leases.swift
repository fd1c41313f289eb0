import Foundation
import JSON

extension AsyncGateClient {
    /// `POST /v1/leases/claim`: up to `maxTasks` eligible tasks, leased to this worker; empty when
    /// idle. Never retried after the request may have reached the server: a lost answer would
    /// otherwise lease tasks twice (the first leases simply expire and the tasks are requeued).
    public func claim(_ request: ClaimRequest) throws(AsyncGateError) -> [ClaimedTask] {
        let reply = try call("POST", "/v1/leases/claim", body: request.body, safety: .unsafe, extraTimeout: request.waitSeconds ?? 0)
        let o = try WireObject(reply.json, context: "claim")
        var tasks: [ClaimedTask] = []
        for t in try o.array("tasks") { tasks.append(try ClaimedTask(t)) }
        return tasks
    }

    /// `POST /v1/leases/renew`: the new expiry. Not retried automatically (each renewal counts
    /// against the server's renewal limit); callers renew again on their own schedule.
    public func renewLease(_ lease: LeaseRef, extendBySeconds: Int? = nil) throws(AsyncGateError) -> Date {
        var b = leaseBody(lease, includeTask: true)
        b.set("extend_by_seconds", extendBySeconds)
        let reply = try call("POST", "/v1/leases/renew", body: b.json, safety: .unsafe)
        return try WireObject(reply.json, context: "renew_lease").date("expires_at")
    }

    /// `POST /v1/tasks/{id}/running`: the time the task started.
    @discardableResult
    public func markRunning(_ lease: LeaseRef) throws(AsyncGateError) -> Date? {
        let reply = try call("POST", "/v1/tasks/\(Self.pathID(lease.taskID))/running", body: leaseBody(lease).json, safety: .unsafe)
        return try WireObject(reply.json, context: "start_task").optionalDate("started_at")
    }

    /// `POST /v1/tasks/{id}/progress`.
    public func reportProgress(_ lease: LeaseRef, progress: JSON) throws(AsyncGateError) {
        var b = leaseBody(lease)
        b["progress"] = progress
        _ = try call("POST", "/v1/tasks/\(Self.pathID(lease.taskID))/progress", body: b.json, safety: .unsafe)
    }

    /// `POST /v1/tasks/{id}/complete`. `artifacts` (a list, or one object) or `deliveryProof` make
    /// the result locatable, which is what discharges the owner's obligation.
    public func complete(_ lease: LeaseRef, result: JSON, artifacts: JSON? = nil, deliveryProof: JSON? = nil) throws(AsyncGateError) {
        var b = leaseBody(lease)
        b["result"] = result
        b["artifacts"] = artifacts
        b["delivery_proof"] = deliveryProof
        _ = try call("POST", "/v1/tasks/\(Self.pathID(lease.taskID))/complete", body: b.json, safety: .idempotent)
    }

    /// `POST /v1/tasks/{id}/fail`. Retryable failures with attempts left requeue the task.
    @discardableResult
    public func fail(_ lease: LeaseRef, error: JSON, retryable: Bool) throws(AsyncGateError) -> FailOutcome {
        var b = leaseBody(lease)
        b["error"] = error
        b.set("retryable", retryable)
        let reply = try call("POST", "/v1/tasks/\(Self.pathID(lease.taskID))/fail", body: b.json, safety: .idempotent)
        let o = try WireObject(reply.json, context: "fail")
        return FailOutcome(requeued: try o.optionalBool("requeued") ?? false, nextEligibleAt: try o.optionalDate("next_eligible_at"))
    }

    private func leaseBody(_ lease: LeaseRef, includeTask: Bool = false) -> BodyBuilder {
        var b = BodyBuilder()
        b.set("worker_id", lease.workerID)
        b.set("lease_id", Self.pathID(lease.leaseID))
        if includeTask { b.set("task_id", Self.pathID(lease.taskID)) }
        return b
    }
}
