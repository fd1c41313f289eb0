import Foundation
import JSON

public struct TaskRecord: Sendable {
    public var tenantID: UUID
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
    public var retryBackoffSeconds: Int
    public var idempotencyKey: String?
    public var nextEligibleAt: Date
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var assignedReceiptID: UUID
    public var outcome: String?
    public var result: JSON?
    public var error: JSON?
    public var artifacts: JSON?
    public var completedAt: Date?
    public var progress: JSON?

    public init(
        tenantID: UUID, taskID: UUID, type: String, payload: JSON, payloadPointer: String?,
        createdBy: Principal, principalAI: String?, requirements: JSON, expectedOutcomeKind: String?,
        expectedArtifactMime: String?, priority: Int, status: TaskStatus, attempt: Int, maxAttempts: Int,
        retryBackoffSeconds: Int, idempotencyKey: String?, nextEligibleAt: Date, createdAt: Date,
        updatedAt: Date, startedAt: Date?, assignedReceiptID: UUID, outcome: String?, result: JSON?,
        error: JSON?, artifacts: JSON?, completedAt: Date?, progress: JSON?
    ) {
        self.tenantID = tenantID; self.taskID = taskID; self.type = type; self.payload = payload
        self.payloadPointer = payloadPointer; self.createdBy = createdBy; self.principalAI = principalAI
        self.requirements = requirements; self.expectedOutcomeKind = expectedOutcomeKind
        self.expectedArtifactMime = expectedArtifactMime; self.priority = priority; self.status = status
        self.attempt = attempt; self.maxAttempts = maxAttempts; self.retryBackoffSeconds = retryBackoffSeconds
        self.idempotencyKey = idempotencyKey; self.nextEligibleAt = nextEligibleAt; self.createdAt = createdAt
        self.updatedAt = updatedAt; self.startedAt = startedAt; self.assignedReceiptID = assignedReceiptID
        self.outcome = outcome; self.result = result; self.error = error; self.artifacts = artifacts
        self.completedAt = completedAt; self.progress = progress
    }
}

/// A task as handed to a worker by a claim.
public struct ClaimedTask: Sendable {
    public var task: TaskRecord
    public var leaseID: UUID
    public var expiresAt: Date
    public init(task: TaskRecord, leaseID: UUID, expiresAt: Date) {
        self.task = task; self.leaseID = leaseID; self.expiresAt = expiresAt
    }
}

public struct LeaseRecord: Sendable {
    public var leaseID: UUID
    public var taskID: UUID
    public var workerID: String
    public var workerInstanceID: String?
    public var acquiredAt: Date
    public var expiresAt: Date
    public var renewalCount: Int
    public init(leaseID: UUID, taskID: UUID, workerID: String, workerInstanceID: String?, acquiredAt: Date, expiresAt: Date, renewalCount: Int) {
        self.leaseID = leaseID; self.taskID = taskID; self.workerID = workerID
        self.workerInstanceID = workerInstanceID; self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt; self.renewalCount = renewalCount
    }
}

public struct ReceiptRecord: Sendable {
    public var receiptID: UUID
    public var type: String
    public var from: Principal
    public var to: Principal
    public var taskID: UUID?
    public var leaseID: UUID?
    public var scheduleID: String?
    public var parents: [UUID]
    public var body: JSON
    public var hash: String
    public var createdAt: Date
    public var deliveredAt: Date?
    public var instance: String?
    public init(receiptID: UUID, type: String, from: Principal, to: Principal, taskID: UUID?, leaseID: UUID?, scheduleID: String?, parents: [UUID], body: JSON, hash: String, createdAt: Date, deliveredAt: Date?, instance: String?) {
        self.receiptID = receiptID; self.type = type; self.from = from; self.to = to; self.taskID = taskID
        self.leaseID = leaseID; self.scheduleID = scheduleID; self.parents = parents; self.body = body
        self.hash = hash; self.createdAt = createdAt; self.deliveredAt = deliveredAt; self.instance = instance
    }
}

/// A receipt about to be appended: its id and hash are fixed before it reaches the database.
public struct NewReceipt: Sendable {
    public var receiptID: UUID
    public var type: ReceiptType
    public var from: Principal
    public var to: Principal
    public var taskID: UUID?
    public var leaseID: UUID?
    public var parents: [UUID]
    public var body: JSON
    public var hash: String

    public init(type: ReceiptType, from: Principal, to: Principal, taskID: UUID?, leaseID: UUID?, parents: [UUID] = [], body: JSON = .object([:]), id: UUID = Identifiers.next()) {
        self.receiptID = id; self.type = type; self.from = from; self.to = to; self.taskID = taskID
        self.leaseID = leaseID; self.parents = parents; self.body = body
        self.hash = ReceiptHash.compute(type: type.rawValue, taskID: taskID, from: from, to: to, leaseID: leaseID, parents: parents, body: body)
    }
}

/// Who is calling: resolved from the credential (or, in insecure dev mode, from headers).
public struct Caller: Sendable {
    public enum Role: String, Sendable {
        /// TASKER: creates, reads, cancels its own tasks; reads and acks receipts.
        case agent
        /// TASKEE: claims, renews, starts, reports progress, completes, fails.
        case worker
        /// Everything within its tenant, including acting as internal principals.
        case admin
        /// The single shared key of a simple deployment (and insecure dev mode): may act as any
        /// non-internal principal named in the request, as agent or worker.
        case shared
    }
    public var tenantID: UUID
    public var role: Role
    /// Bound principal for per-principal keys; nil for the shared key / dev mode.
    public var principal: Principal?
    public init(tenantID: UUID, role: Role, principal: Principal?) {
        self.tenantID = tenantID; self.role = role; self.principal = principal
    }
    public static let defaultTenant = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    public var mayActAsAgent: Bool { role != .worker }
    public var mayActAsWorker: Bool { role != .agent }
}
