import Domain
import Foundation
import JSON
import Postgres
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
    ///
    /// When a long-poll claim on this instance is parked waiting for such a task, the create claims
    /// for it in the same transaction (`createHandingOff`): one commit instead of two on the path
    /// from create to a waiting worker.
    public func createTask(_ caller: Caller, _ input: CreateTaskInput) throws -> CreateTaskResult {
        try requireAgent(caller)
        let (insert, assigned) = try prepareCreate(caller, input)
        if input.delaySeconds <= 0, let handOff = waiters.take(tenant: caller.tenantID, type: input.type) {
            return try createHandingOff(caller, input, insert, assigned, handOff)
        }
        let pending = PendingCreate(caller: caller, input: input, insert: insert, assigned: assigned)
        let result = try creates?.submit(caller.tenantID, pending, run: createCoalesced) ?? createAlone(pending)
        if result.created { announce(caller.tenantID, [input]) }
        return result
    }

    /// `createTask` that answers through `completion` and, when the create has to wait for a group
    /// commit, leaves the calling thread free meanwhile (the request path of the API). The batch
    /// it joins may run on `executor`. With `callerMayBlock` false (an I/O thread) the calling
    /// thread does no database work at all: that runs on `executor`.
    public func createTask(_ caller: Caller, _ input: CreateTaskInput, executor: @escaping BlockingExecutor,
                           callerMayBlock: Bool = true,
                           completion: @escaping @Sendable (Result<CreateTaskResult, Error>) -> Void) {
        let pending: PendingCreate
        do {
            try requireAgent(caller)
            let (insert, assigned) = try prepareCreate(caller, input)
            if input.delaySeconds <= 0, let handOff = waiters.take(tenant: caller.tenantID, type: input.type) {
                return runBlocking(callerMayBlock: callerMayBlock, executor: executor, fail: { error in
                    handOff.resume()   // taken out of the parked set: it goes back to claiming on its own
                    completion(.failure(error))
                }) { [self] in
                    completion(Result { try createHandingOff(caller, input, insert, assigned, handOff) })
                }
            }
            pending = PendingCreate(caller: caller, input: input, insert: insert, assigned: assigned)
        } catch {
            return completion(.failure(error))
        }
        guard let creates else {
            return runBlocking(callerMayBlock: callerMayBlock, executor: executor, fail: { completion(.failure($0)) }) { [self] in
                completion(Result { try createTask(caller, input) })
            }
        }
        creates.enqueue(caller.tenantID, pending, executor: executor, callerMayBlock: callerMayBlock,
                        run: { [self] in createCoalesced($0, $1) }) { [self] result in
            if case .success(let created) = result, created.created { announce(caller.tenantID, [input]) }
            completion(result)
        }
    }

    /// A single create waiting for its group commit (`Coalescer`).
    struct PendingCreate {
        var caller: Caller
        var input: CreateTaskInput
        var insert: TaskInsert
        var assigned: NewReceipt
    }

    /// One create, one statement, its own commit.
    func createAlone(_ p: PendingCreate) throws -> CreateTaskResult {
        try withConnection(tenant: p.caller.tenantID) { db in
            try finishCreate(db, p.caller, p.input,
                             try TaskRepository(db).insertWithAssignedReceipt(p.insert, receipt: p.assigned, instance: instanceID))
        }
    }

    /// Concurrent single creates of one tenant, group-committed: every insert in ONE statement
    /// (`insertManyWithAssignedReceiptsStatement`: one round trip, one commit). When the server
    /// refuses it nothing was written, and each create is redone alone, so a create only ever fails
    /// for its own reason. After the commit each create is answered from the rows and never redone.
    func createCoalesced(_ tenant: UUID, _ batch: [PendingCreate]) -> [Result<CreateTaskResult, Error>] {
        if batch.count == 1 { return [Result { try createAlone(batch[0]) }] }
        do {
            let answered = try withConnection(tenant: tenant) { db -> [Result<CreateTaskResult, Error>]? in
                let created: [UUID: TaskStatus]
                do {
                    let (sql, binds) = TaskRepository.insertManyWithAssignedReceiptsStatement(
                        tenantID: tenant, batch.map { ($0.insert, $0.assigned) }, instance: instanceID)
                    created = try TaskRepository.decodeInsertMany(try db.query(sql, binds)).created
                } catch let error as PostgresError where !error.isConnectionError {
                    logger.debug("group-committed creates refused; creating one by one", metadata: ["error": "\(error)"])
                    return nil
                }
                return batch.map { p in
                    Result { try finishCreate(db, p.caller, p.input, created[p.insert.taskID].map { (p.insert.taskID, $0) }) }
                }
            }
            return answered ?? batch.map { p in Result { try createAlone(p) } }
        } catch {
            // no connection, or it broke: what the statement did is unknown, and a create without
            // an idempotency key must not be redone blindly — each caller gets the error it would alone
            return batch.map { _ in .failure(error) }
        }
    }

    /// The create's insert and the parked claim's statement in ONE pipeline (one implicit
    /// transaction, one round trip, one commit). The claim is the waiter's own, unchanged: it takes
    /// the highest-priority eligible task it may (the new one, unless an older one outranks it),
    /// under SKIP LOCKED like any claim. After the commit the waiter is answered with what it got;
    /// if it got nothing, or the pipeline failed, it goes back to claiming on its own. A statement
    /// the server refused rolls the whole pipeline back, so the create is then simply run alone.
    func createHandingOff(_ caller: Caller, _ input: CreateTaskInput, _ insert: TaskInsert, _ assigned: NewReceipt,
                          _ handOff: ClaimHandOff) throws -> CreateTaskResult {
        var claimed: [ClaimedTask] = []
        // The waiter was taken out of the parked set: it is answered or resumed whatever happens.
        defer { if claimed.isEmpty { handOff.resume() } else { handOff.deliver(claimed) } }
        let result = try withConnection(tenant: caller.tenantID) { db in
            let rows: [PostgresResult]
            do {
                rows = try db.pipeline([
                    TaskRepository.insertWithAssignedReceiptStatement(insert, receipt: assigned, instance: instanceID),
                    handOff.claim.statement(instance: instanceID),
                ])
            } catch let error as PostgresError where error.code == .queryFailed {
                logger.debug("create with hand-off refused; creating alone", metadata: ["error": "\(error)"])
                let created = try TaskRepository(db).insertWithAssignedReceipt(insert, receipt: assigned, instance: instanceID)
                return try finishCreate(db, caller, input, created)
            }
            // committed: both statements' rows are in
            let created = try TaskRepository.decodeInsert(rows[0])
            let (taken, receipts) = try TaskRepository.decodeClaim(rows[1])
            recordClaim(taken, receipts: receipts)
            claimed = taken
            return try finishCreate(db, caller, input, created)
        }
        if result.created && !claimed.contains(where: { $0.task.taskID == result.taskID }) {
            announce(caller.tenantID, [input])
        }
        return result
    }

    /// The create's answer from its insert: the new task, or the one its idempotency key names.
    private func finishCreate(_ db: PostgresConnection, _ caller: Caller, _ input: CreateTaskInput,
                              _ created: (taskID: UUID, status: TaskStatus)?) throws -> CreateTaskResult {
        if let created {
            counters.tasksCreated.add(1, ordering: .relaxed)
            counters.receipts.add(1, ordering: .relaxed)
            return CreateTaskResult(taskID: created.taskID, status: created.status, created: true)
        }
        guard let key = input.idempotencyKey,
              let existing = try TaskRepository(db).findByIdempotencyKey(tenantID: caller.tenantID, key: key) else {
            throw EngineError(.internal, "task insert returned no row")
        }
        return CreateTaskResult(taskID: existing.taskID, status: existing.status, created: false)
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

    /// The counters, and what group commit did: batches of two or more calls, and the calls they
    /// carried (a call that ran alone is not counted).
    public var metricsSnapshot: [String: Int] {
        var snapshot = counters.snapshot
        let kinds = [("creates", creates?.counts), ("claims", claims?.counts), ("completions", completions?.counts)]
        for (kind, counts) in kinds {
            snapshot["group_commit_\(kind)_batches"] = counts?.batches ?? 0
            snapshot["group_commit_\(kind)_calls"] = counts?.items ?? 0
        }
        return snapshot
    }
}
