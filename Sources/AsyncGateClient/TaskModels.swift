import Foundation
import JSON

/// What `createTask` sends. Unset optionals are not sent: the server's defaults apply.
public struct NewTask: Sendable {
    public var type: String
    public var payload: JSON
    public var payloadPointer: String?
    public var principalAI: String?
    /// `{"capabilities": [..], "tags": [..]}`.
    public var requirements: JSON?
    public var expectedOutcomeKind: String?
    public var expectedArtifactMime: String?
    public var priority: Int?
    /// The same key within a tenant always names the same task. With a key, `createTask` is
    /// idempotent and therefore retried on transient failures; without one it is not.
    public var idempotencyKey: String?
    public var maxAttempts: Int?
    public var retryBackoffSeconds: Int?
    public var delaySeconds: Double?

    public init(type: String, payload: JSON = [:], idempotencyKey: String? = nil) {
        self.type = type
        self.payload = payload
        self.idempotencyKey = idempotencyKey
    }

    var body: JSON {
        var b = BodyBuilder()
        b.set("type", type)
        b["payload"] = payload
        b.set("payload_pointer", payloadPointer)
        b.set("principal_ai", principalAI)
        b["requirements"] = requirements
        b.set("expected_outcome_kind", expectedOutcomeKind)
        b.set("expected_artifact_mime", expectedArtifactMime)
        b.set("priority", priority)
        b.set("idempotency_key", idempotencyKey)
        b.set("max_attempts", maxAttempts)
        b.set("retry_backoff_seconds", retryBackoffSeconds)
        b.set("delay_seconds", delaySeconds)
        return b.json
    }
}

public struct CreatedTask: Sendable, Equatable {
    public var taskID: UUID
    public var status: TaskStatus
    /// False when the idempotency key named an existing task; nil if the server does not say.
    public var created: Bool?
}

/// The terminal result of a task.
public struct TaskResult: Sendable {
    public var outcome: String?
    public var result: JSON
    public var error: JSON
    public var artifacts: JSON
    public var completedAt: Date?
}

/// A task as `GET /v1/tasks/{id}` returns it. `raw` keeps every field, including ones this client
/// does not model.
public struct TaskInfo: Sendable {
    public var taskID: UUID
    public var type: String
    public var payload: JSON
    public var payloadPointer: String?
    public var createdBy: Principal
    public var principalAI: String?
    public var requirements: JSON
    public var expectedOutcomeKind: String?
    public var expectedArtifactMime: String?
    public var priority: Int
    public var status: TaskStatus
    public var attempt: Int
    public var maxAttempts: Int
    public var idempotencyKey: String?
    public var createdAt: Date
    public var updatedAt: Date?
    public var nextEligibleAt: Date?
    public var startedAt: Date?
    public var progress: JSON
    public var result: TaskResult?
    public var raw: JSON

    init(_ json: JSON) throws(AsyncGateError) {
        let o = try WireObject(json, context: "task")
        taskID = try o.uuid("task_id")
        type = try o.string("type")
        payload = o.json("payload")
        payloadPointer = try o.optionalString("payload_pointer")
        createdBy = try o.principal("created_by")
        principalAI = try o.optionalString("principal_ai")
        requirements = o.json("requirements")
        expectedOutcomeKind = try o.optionalString("expected_outcome_kind")
        expectedArtifactMime = try o.optionalString("expected_artifact_mime")
        priority = try o.optionalInt("priority") ?? 0
        status = TaskStatus(rawValue: try o.string("status"))
        attempt = try o.int("attempt")
        maxAttempts = try o.int("max_attempts")
        idempotencyKey = try o.optionalString("idempotency_key")
        createdAt = try o.date("created_at")
        updatedAt = try o.optionalDate("updated_at")
        nextEligibleAt = try o.optionalDate("next_eligible_at")
        startedAt = try o.optionalDate("started_at")
        progress = o.json("progress")
        if o.has("result") {
            let r = try o.object("result")
            result = TaskResult(outcome: try r.optionalString("outcome"), result: r.json("result"), error: r.json("error"),
                                artifacts: r.json("artifacts"), completedAt: try r.optionalDate("completed_at"))
        }
        raw = json
    }
}

/// Filters for `listTasks`.
public struct TaskQuery: Sendable {
    public var status: TaskStatus?
    public var type: String?
    public var createdBy: String?
    public var limit: Int?
    public var cursor: UUID?
    public init(status: TaskStatus? = nil, type: String? = nil, createdBy: String? = nil, limit: Int? = nil, cursor: UUID? = nil) {
        self.status = status
        self.type = type
        self.createdBy = createdBy
        self.limit = limit
        self.cursor = cursor
    }
}

public struct TaskPage: Sendable {
    public var tasks: [TaskInfo]
    /// Pass as `TaskQuery.cursor` for the next page; nil on the last page.
    public var nextCursor: UUID?
}

public struct CancelOutcome: Sendable, Equatable {
    public var ok: Bool
    public var status: TaskStatus
    /// False when the task was already terminal (nothing changed); nil if the server does not say.
    public var changed: Bool?
}
