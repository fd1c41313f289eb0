import Foundation
import JSON

extension AsyncGateClient {
    /// `POST /v1/tasks` on behalf of `owner`. Retried on transient failures only when the task has
    /// an idempotency key (the server then returns the original task instead of a duplicate).
    public func createTask(_ task: NewTask, owner: Principal) throws(AsyncGateError) -> CreatedTask {
        let reply = try call("POST", "/v1/tasks", query: [("principal_kind", owner.kind.rawValue), ("principal_id", owner.id)],
                             body: task.body, safety: task.idempotencyKey == nil ? .unsafe : .idempotent)
        let o = try WireObject(reply.json, context: "create_task")
        return CreatedTask(taskID: try o.uuid("task_id"), status: TaskStatus(rawValue: try o.string("status")),
                           created: try o.optionalBool("created"))
    }

    /// `GET /v1/tasks/{id}`.
    public func getTask(_ taskID: UUID) throws(AsyncGateError) -> TaskInfo {
        try TaskInfo(try call("GET", "/v1/tasks/\(Self.pathID(taskID))", safety: .idempotent).json)
    }

    /// `GET /v1/tasks` (newest first).
    public func listTasks(_ query: TaskQuery = TaskQuery()) throws(AsyncGateError) -> TaskPage {
        try taskPage("/v1/tasks", query, includeStatus: true)
    }

    /// `GET /v1/tasks/running`: leased or running tasks.
    public func listRunningTasks(_ query: TaskQuery = TaskQuery()) throws(AsyncGateError) -> TaskPage {
        try taskPage("/v1/tasks/running", query, includeStatus: false)
    }

    private func taskPage(_ path: String, _ q: TaskQuery, includeStatus: Bool) throws(AsyncGateError) -> TaskPage {
        let reply = try call("GET", path, query: [
            ("status", includeStatus ? q.status?.rawValue : nil), ("type", q.type), ("created_by", q.createdBy),
            ("limit", q.limit.map(String.init)), ("cursor", q.cursor.map(Self.pathID)),
        ], safety: .idempotent)
        let o = try WireObject(reply.json, context: "list_tasks")
        var tasks: [TaskInfo] = []
        for t in try o.array("tasks") { tasks.append(try TaskInfo(t)) }
        return TaskPage(tasks: tasks, nextCursor: try o.optionalUUID("next_cursor"))
    }

    /// `POST /v1/tasks/{id}/cancel` by `by` (the owner). Canceling a task that is already terminal
    /// changes nothing, which is what makes this call safe to repeat.
    public func cancelTask(_ taskID: UUID, by: Principal, reason: String? = nil) throws(AsyncGateError) -> CancelOutcome {
        var b = BodyBuilder()
        b.set("principal_kind", by.kind.rawValue)
        b.set("principal_id", by.id)
        b.set("reason", reason)
        let reply = try call("POST", "/v1/tasks/\(Self.pathID(taskID))/cancel", body: b.json, safety: .idempotent)
        let o = try WireObject(reply.json, context: "cancel_task")
        return CancelOutcome(ok: try o.bool("ok"), status: TaskStatus(rawValue: try o.string("status")), changed: try o.optionalBool("changed"))
    }
}
