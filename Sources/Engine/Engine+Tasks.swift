import Domain
import Foundation
import JSON
import Storage

public struct CreateTaskInput: Sendable {
    public var owner: Principal
    public var type: String
    public var payload: JSON = .object([:])
    public var payloadPointer: String?
    public var principalAI: String?
    public var requirements: JSON = .object([:])
    public var expectedOutcomeKind: String?
    public var expectedArtifactMime: String?
    public var priority = 0
    public var idempotencyKey: String?
    public var maxAttempts: Int?
    public var retryBackoffSeconds: Int?
    public var delaySeconds: Double = 0
    public init(owner: Principal, type: String) { self.owner = owner; self.type = type }
}

public struct CreateTaskResult: Sendable, Equatable {
    public var taskID: UUID
    public var status: TaskStatus
    /// False when the idempotency key named an existing task (nothing was written).
    public var created: Bool
}

public struct CancelResult: Sendable, Equatable {
    public var status: TaskStatus
    /// False when the task was already terminal (nothing changed).
    public var changed: Bool
    public init(status: TaskStatus, changed: Bool) { self.status = status; self.changed = changed }
}

extension Engine {
    /// Creates a task and its `task.assigned` obligation atomically (one statement). The same
    /// idempotency key returns the original task — also under concurrent retries, where the unique
    /// index makes the losers wait for the winner's commit and then find its row.
    public func createTask(_ caller: Caller, _ input: CreateTaskInput) throws -> CreateTaskResult {
        try requireAgent(caller)
        let (insert, assigned) = try prepareCreate(caller, input)
        let result = try withConnection(tenant: caller.tenantID) { db in
            let tasks = TaskRepository(db)
            if let created = try tasks.insertWithAssignedReceipt(insert, receipt: assigned, instance: instanceID) {
                counters.tasksCreated.add(1, ordering: .relaxed)
                counters.receipts.add(1, ordering: .relaxed)
                return CreateTaskResult(taskID: created.taskID, status: created.status, created: true)
            }
            guard let key = input.idempotencyKey, let existing = try tasks.findByIdempotencyKey(tenantID: caller.tenantID, key: key) else {
                throw EngineError(.internal, "task insert returned no row")
            }
            return CreateTaskResult(taskID: existing.taskID, status: existing.status, created: false)
        }
        if result.created { announce(caller.tenantID, [input]) }
        return result
    }

    /// Newly committed tasks: this instance's parked claims are woken at once; the other
    /// instances are told by NOTIFY right after (`TaskAnnouncer`). Delayed tasks are left to the
    /// periodic re-check.
    func announce(_ tenant: UUID, _ created: [CreateTaskInput]) {
        for type in Set(created.filter { $0.delaySeconds <= 0 }.map(\.type)) {
            waiters.notify(tenant: tenant, type: type)
            announcer?.announce(tenant: tenant, type: type)
        }
    }

    /// Validates a create and fixes its ids: the task row and its `task.assigned` receipt.
    func prepareCreate(_ caller: Caller, _ input: CreateTaskInput) throws -> (TaskInsert, NewReceipt) {
        let owner = try actingPrincipal(caller, requested: input.owner)
        let capabilities = try Self.requiredCapabilities(input.requirements)
        if input.payload.serialized().count > TaskLimits.maxPayloadBytes {
            throw EngineError(.payloadTooLarge, "payload exceeds \(TaskLimits.maxPayloadBytes) bytes")
        }
        let taskID = Identifiers.next()
        let assigned = NewReceipt(
            type: .taskAssigned, from: .asyncgate, to: owner, taskID: taskID, leaseID: nil,
            body: .object(["type": .string(input.type)]))
        let insert = TaskInsert(
            tenantID: caller.tenantID, taskID: taskID, type: input.type, payload: input.payload,
            payloadPointer: input.payloadPointer, createdBy: owner, principalAI: input.principalAI,
            requirements: input.requirements, requiredCapabilities: capabilities,
            expectedOutcomeKind: input.expectedOutcomeKind, expectedArtifactMime: input.expectedArtifactMime,
            priority: input.priority, maxAttempts: input.maxAttempts ?? configuration.defaultMaxAttempts,
            retryBackoffSeconds: input.retryBackoffSeconds ?? configuration.defaultRetryBackoffSeconds,
            idempotencyKey: input.idempotencyKey, delaySeconds: input.delaySeconds)
        return (insert, assigned)
    }

    /// `requirements.capabilities` must be a list of strings when present.
    static func requiredCapabilities(_ requirements: JSON) throws -> [String] {
        guard case .object(let fields) = requirements else {
            throw EngineError.validation("requirements must be an object")
        }
        guard let caps = fields["capabilities"], !caps.isNull else { return [] }
        guard let list = caps.arrayValue else { throw EngineError.validation("requirements.capabilities must be a list of strings") }
        return try list.map {
            guard let s = $0.stringValue else { throw EngineError.validation("requirements.capabilities must be a list of strings") }
            return s
        }
    }

    /// Agents with a bound key read their own tasks, workers the tasks they hold or held a lease on;
    /// anything else in the tenant reads as not found (no existence oracle).
    public func getTask(_ caller: Caller, taskID: UUID) throws -> TaskRecord {
        try withConnection(tenant: caller.tenantID) { db in
            guard let task = try TaskRepository(db).get(tenantID: caller.tenantID, taskID: taskID) else {
                throw EngineError.taskNotFound(taskID.lowercasedString)
            }
            if let bound = caller.principal {
                switch caller.role {
                case .agent where bound.kind != task.createdBy.kind || bound.id != task.createdBy.id:
                    throw EngineError.taskNotFound(taskID.lowercasedString)
                case .worker where !(try LeaseRepository(db).workerHasLeased(tenantID: caller.tenantID, taskID: taskID, workerID: bound.id)):
                    throw EngineError.taskNotFound(taskID.lowercasedString)
                default: break
                }
            }
            return task
        }
    }

    public func listTasks(_ caller: Caller, filter: TaskListFilter) throws -> [TaskRecord] {
        var filter = filter
        if let by = filter.createdByID, Principal(kind: .agent, id: by).isInternal, caller.role != .admin {
            throw EngineError(.forbiddenPrincipal, "principal id \(by) is reserved for AsyncGate")
        }
        if caller.principal != nil {
            switch caller.role {
            case .agent: filter.createdByID = caller.principal?.id
            case .worker: throw EngineError(.forbidden, "workers cannot list tasks")
            case .admin, .shared: break
            }
        }
        return try withConnection(tenant: caller.tenantID) { db in
            let tasks = TaskRepository(db)
            if let cursor = filter.cursor, try !tasks.exists(tenantID: caller.tenantID, taskID: cursor) {
                throw EngineError(.invalidParameter, "cursor \(cursor.lowercasedString) names no task; start again without it")
            }
            return try tasks.list(tenantID: caller.tenantID, filter: filter)
        }
    }

    /// Cancels a non-terminal task (owner or admin only), releasing any lease. Canceling a terminal
    /// task changes nothing and reports its status (`changed: false`).
    public func cancelTask(_ caller: Caller, taskID: UUID, by requested: Principal, reason: String?) throws -> CancelResult {
        try requireAgent(caller)
        let canceler = try actingPrincipal(caller, requested: requested)
        return try transaction(tenant: caller.tenantID) { db in
            let tasks = TaskRepository(db)
            // Lock order: lease first, then task (see LeaseRepository).
            guard let snapshot = try tasks.get(tenantID: caller.tenantID, taskID: taskID) else {
                throw EngineError.taskNotFound(taskID.lowercasedString)
            }
            let owner = snapshot.createdBy
            guard caller.role == .admin || (owner.kind == canceler.kind && owner.id == canceler.id) else {
                throw EngineError(.notOwner, "only the task's owner may cancel it")
            }
            if snapshot.status.isTerminal { return CancelResult(status: snapshot.status, changed: false) }
            let leaseID = try LeaseRepository(db).releaseActive(tenantID: caller.tenantID, taskID: taskID, reason: "canceled")
            guard try tasks.markCanceled(tenantID: caller.tenantID, taskID: taskID, reason: reason) else {
                // it became terminal between our read and the lock: report what it is now
                let now = try tasks.get(tenantID: caller.tenantID, taskID: taskID)
                return CancelResult(status: now?.status ?? snapshot.status, changed: false)
            }
            var body: [String: JSON] = [:]
            if let reason { body["reason"] = .string(reason) }
            let canceled = NewReceipt(type: .taskCanceled, from: canceler, to: owner, taskID: taskID, leaseID: leaseID,
                                      parents: [snapshot.assignedReceiptID], body: .object(body))
            let ready = NewReceipt(type: .taskResultReady, from: .asyncgate, to: owner, taskID: taskID, leaseID: nil,
                                   parents: [canceled.receiptID], body: ["status": "canceled"])
            _ = try append(db, tenant: caller.tenantID, [canceled, ready])
            counters.tasksCanceled.add(1, ordering: .relaxed)
            return CancelResult(status: .canceled, changed: true)
        }
    }

    public func queueSizes(_ caller: Caller) throws -> [String: Int] {
        try withConnection(tenant: caller.tenantID) { db in try TaskRepository(db).countByStatus(tenantID: caller.tenantID) }
    }

    public var metricsSnapshot: [String: Int] { counters.snapshot }
}
