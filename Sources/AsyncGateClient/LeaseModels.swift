import Foundation
import JSON

/// What `claim` asks for.
public struct ClaimRequest: Sendable {
    public var workerID: String
    public var workerInstanceID: String?
    public var capabilities: [String]?
    /// Only these task types (nil = any).
    public var acceptTypes: [String]?
    /// 1...10; nil = server default (1).
    public var maxTasks: Int?
    /// 10...1800; nil = server default.
    public var leaseTTLSeconds: Int?
    /// Long poll: let the server hold the request up to this long while nothing is eligible. Sent
    /// only when set (servers without long polling ignore it and answer at once).
    public var waitSeconds: Double?

    public init(workerID: String, acceptTypes: [String]? = nil, maxTasks: Int? = nil, leaseTTLSeconds: Int? = nil) {
        self.workerID = workerID
        self.acceptTypes = acceptTypes
        self.maxTasks = maxTasks
        self.leaseTTLSeconds = leaseTTLSeconds
    }

    var body: JSON {
        var b = BodyBuilder()
        b.set("worker_kind", "worker")
        b.set("worker_id", workerID)
        b.set("worker_instance_id", workerInstanceID)
        b.set("capabilities", capabilities)
        b.set("accept_types", acceptTypes)
        b.set("max_tasks", maxTasks)
        b.set("lease_ttl_seconds", leaseTTLSeconds)
        b.set("wait_seconds", waitSeconds)
        return b.json
    }
}

/// Identifies a held lease in renew/running/progress/complete/fail.
public struct LeaseRef: Sendable, Hashable {
    public var taskID: UUID
    public var leaseID: UUID
    public var workerID: String
    public init(taskID: UUID, leaseID: UUID, workerID: String) {
        self.taskID = taskID
        self.leaseID = leaseID
        self.workerID = workerID
    }
}

/// A task the server leased to this worker.
public struct ClaimedTask: Sendable {
    public var taskID: UUID
    public var leaseID: UUID
    public var type: String
    public var payload: JSON
    public var payloadPointer: String?
    public var principalAI: String?
    public var attempt: Int
    public var maxAttempts: Int?
    public var expiresAt: Date
    public var requirements: JSON
    public var expectedOutcomeKind: String?
    public var expectedArtifactMime: String?
    public var createdBy: Principal?
    public var raw: JSON

    init(_ json: JSON) throws(AsyncGateError) {
        let o = try WireObject(json, context: "claimed task")
        taskID = try o.uuid("task_id")
        leaseID = try o.uuid("lease_id")
        type = try o.string("type")
        payload = o.json("payload")
        payloadPointer = try o.optionalString("payload_pointer")
        principalAI = try o.optionalString("principal_ai")
        attempt = try o.int("attempt")
        maxAttempts = try o.optionalInt("max_attempts")
        expiresAt = try o.date("expires_at")
        requirements = o.json("requirements")
        expectedOutcomeKind = try o.optionalString("expected_outcome_kind")
        expectedArtifactMime = try o.optionalString("expected_artifact_mime")
        createdBy = o.has("created_by") ? try o.principal("created_by") : nil
        raw = json
    }

    public func lease(workerID: String) -> LeaseRef {
        LeaseRef(taskID: taskID, leaseID: leaseID, workerID: workerID)
    }
}

public struct FailOutcome: Sendable, Equatable {
    /// True when the task went back to the queue for another attempt.
    public var requeued: Bool
    public var nextEligibleAt: Date?
}
