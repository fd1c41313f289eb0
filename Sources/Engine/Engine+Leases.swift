import Domain
import Foundation
import JSON
import Postgres
import Storage

public struct ClaimInput: Sendable {
    public var worker: Principal
    public var capabilities: [String] = []
    public var acceptTypes: [String]?
    public var maxTasks = 1
    public var leaseTTLSeconds: Int?
    public init(worker: Principal) { self.worker = worker }
}

public struct LeaseRef: Sendable {
    public var taskID: UUID
    public var leaseID: UUID
    public var workerID: String
    public init(taskID: UUID, leaseID: UUID, workerID: String) {
        self.taskID = taskID; self.leaseID = leaseID; self.workerID = workerID
    }
    var worker: Principal { Principal(kind: .worker, id: workerID) }
}

public struct FailResult: Sendable, Equatable {
    public var requeued: Bool
    public var nextEligibleAt: Date?
}

extension Engine {
    /// Leases up to `maxTasks` eligible tasks to one worker, emitting `task.accepted` for each, all
    /// in one transaction. Concurrent claimers never get the same task (SKIP LOCKED + one active lease
    /// per task enforced by a unique index).
    public func claim(_ caller: Caller, _ input: ClaimInput) throws -> [ClaimedTask] {
        try claim(try prepareClaim(caller, input))
    }

    func claim(_ prepared: PreparedClaim) throws -> [ClaimedTask] {
        if let queue = groupCommit(prepared) { return try queue.submit(prepared.key, prepared, run: claimCoalesced) }
        return try claimAlone(prepared)
    }

    /// Where a claim queues for its group commit, if it does. Only single-task claims do: a claim
    /// for several tasks is a batch already, and queueing it behind others' only serialised the
    /// drain (2,888 against 3,573 jobs/s).
    private func groupCommit(_ prepared: PreparedClaim) -> Coalescer<ClaimKey, PreparedClaim, [ClaimedTask]>? {
        prepared.filter.limit == 1 ? claims : nil
    }

    /// One claim, one statement, committed on its own: one round trip (see
    /// TaskRepository.claimAvailableStatement).
    func claimAlone(_ prepared: PreparedClaim) throws -> [ClaimedTask] {
        let claimed = try runClaim(tenant: prepared.tenant, filter: prepared.filter, slots: prepared.slots())
        recordClaim(claimed.claimed, receipts: claimed.receipts)
        return claimed.claimed
    }

    private func runClaim(tenant: UUID, filter: ClaimFilter, slots: [ClaimSlot]) throws -> (claimed: [ClaimedTask], receipts: Int) {
        try withConnection(tenant: tenant) { db in
            var attempt = 0
            while true {
                do {
                    let (sql, binds) = TaskRepository.claimAvailableStatement(tenantID: tenant, filter: filter, slots: slots, instance: instanceID)
                    return try TaskRepository.decodeClaim(try db.query(sql, binds))
                } catch let error as PostgresError where error.isSerializationFailure && attempt < 3 {
                    attempt += 1
                }
            }
        }
    }

    /// Concurrent single-task claims with the same filter (tenant, capabilities, accepted types),
    /// group-committed: ONE claim statement for all of them, one lease slot per worker (in arrival
    /// order; each with its own lease TTL and its own `task.accepted`). One round trip and one
    /// commit for the group. A statement the server refused wrote nothing, and each claim is then
    /// run alone.
    func claimCoalesced(_ key: ClaimKey, _ batch: [PreparedClaim]) -> [Result<[ClaimedTask], Error>] {
        if batch.count == 1 { return [Result { try claimAlone(batch[0]) }] }
        let slots = batch.map { $0.slot() }
        let owner = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1.leaseID, $0) })
        do {
            let claimed = try runClaim(tenant: key.tenant, filter: batch[0].filter, slots: slots)
            recordClaim(claimed.claimed, receipts: claimed.receipts)
            var results = [[ClaimedTask]](repeating: [], count: batch.count)
            for task in claimed.claimed { results[owner[task.leaseID]!].append(task) }
            return results.map { .success($0) }
        } catch let error as EngineError where error.code == .unavailable {
            return batch.map { _ in .failure(error) }
        } catch {
            logger.warning("group-committed claims failed; claiming one by one", metadata: ["error": "\(error)"])
            return batch.map { p in Result { try claimAlone(p) } }
        }
    }

    /// What claims must share to be group-committed: the statement's filter.
    struct ClaimKey: Hashable, Sendable {
        var tenant: UUID
        var capabilities: [String]
        var acceptTypes: [String]?
    }

    /// A claim checked (worker role, acting principal) and bounded (lease TTL), ready to run now or
    /// later, e.g. inside the transaction of a create that hands its task to a parked claim.
    public struct PreparedClaim: Sendable {
        var tenant: UUID
        var worker: Principal
        var filter: ClaimFilter
        var ttl: Int

        var key: ClaimKey {
            // the filter is a set test (`<@`, `= ANY`): order and repeats do not change it
            ClaimKey(tenant: tenant, capabilities: Set(filter.capabilities).sorted(),
                     acceptTypes: filter.acceptTypes.map { Set($0).sorted() })
        }

        /// A lease this claim may hand out, with fresh lease and receipt ids.
        func slot() -> ClaimSlot {
            ClaimSlot(leaseID: Identifiers.next(), receiptID: Identifiers.next(), worker: worker, ttlSeconds: ttl)
        }

        func slots() -> [ClaimSlot] { (0..<filter.limit).map { _ in slot() } }

        /// The claim statement with fresh lease and receipt ids.
        func statement(instance: String) -> (String, [(any PostgresBindable)?]) {
            TaskRepository.claimAvailableStatement(tenantID: tenant, filter: filter, slots: slots(), instance: instance)
        }
    }

    func prepareClaim(_ caller: Caller, _ input: ClaimInput) throws -> PreparedClaim {
        try requireWorker(caller)
        let worker = try actingPrincipal(caller, requested: input.worker)
        let ttl = min(max(input.leaseTTLSeconds ?? configuration.defaultLeaseTTLSeconds, configuration.minLeaseTTLSeconds),
                      configuration.maxLeaseTTLSeconds)
        let filter = ClaimFilter(capabilities: input.capabilities, acceptTypes: input.acceptTypes, limit: input.maxTasks)
        return PreparedClaim(tenant: caller.tenantID, worker: worker, filter: filter, ttl: ttl)
    }

    func recordClaim(_ claimed: [ClaimedTask], receipts: Int) {
        if receipts != claimed.count {
            logger.error("claim wrote fewer task.accepted receipts than leases",
                         metadata: ["leases": "\(claimed.count)", "receipts": "\(receipts)"])
        }
        counters.tasksClaimed.add(claimed.count, ordering: .relaxed)
        counters.receipts.add(receipts, ordering: .relaxed)
    }

    /// Runs blocking work (a claim attempt) on the caller's worker pool; false when it is saturated.
    public typealias BlockingExecutor = @Sendable (@escaping @Sendable () -> Void) -> Bool

    /// Long-poll claim: claims now; if nothing is eligible, parks (holding no connection and no
    /// thread) until a matching task is announced, a periodic re-check, or `waitSeconds` pass — then
    /// completes with whatever the last attempt claimed (possibly nothing). A waiter whose client
    /// went away never claims again: it completes at once with nothing, so the exchange ends and
    /// its connection is released (not held until a write timeout or a shutdown's grace period).
    public func claimWaiting(_ caller: Caller, _ input: ClaimInput, waitSeconds: Double, executor: @escaping BlockingExecutor,
                             callerMayBlock: Bool = true, isCancelled: @escaping @Sendable () -> Bool,
                             completion: @escaping @Sendable (Result<[ClaimedTask], Error>) -> Void) {
        let deadline = ClaimWaiters.now() + min(waitSeconds, Double(configuration.maxClaimWaitSeconds))
        let waiters = self.waiters
        let prepared: PreparedClaim
        do { prepared = try prepareClaim(caller, input) } catch { return completion(.failure(error)) }
        // the first attempt runs on the caller's thread; later ones on the executor's (may block)
        @Sendable func attempt(callerMayBlock: Bool = true) {
            if isCancelled() { return completion(.success([])) }
            let generation = waiters.generation(of: caller.tenantID)
            claim(prepared, executor: executor, callerMayBlock: callerMayBlock) { result in
                guard case .success(let claimed) = result else { return completion(result) }
                if !claimed.isEmpty || ClaimWaiters.now() >= deadline { return completion(.success(claimed)) }
                @Sendable func resume() {
                    if !executor({ attempt() }) { completion(.failure(Self.atCapacityError)) }
                }
                // A create of a task it can take may claim for it in the create's own transaction.
                let handOff = ClaimHandOff(claim: prepared, deliver: { completion(.success($0)) }, resume: resume)
                waiters.register(tenant: caller.tenantID, acceptTypes: input.acceptTypes, deadline: deadline,
                                 observedGeneration: generation, isCancelled: isCancelled, handOff: handOff) { timedOut in
                    if timedOut { return completion(.success([])) }
                    resume()
                }
            }
        }
        attempt(callerMayBlock: callerMayBlock)
    }

    /// `claim` that answers through `completion`; a single-task claim waiting for its group commit
    /// leaves the calling thread free meanwhile, and the batch it joins may run on `executor`
    /// (as does all of its database work when the caller may not block).
    func claim(_ prepared: PreparedClaim, executor: @escaping BlockingExecutor, callerMayBlock: Bool = true,
               completion: @escaping @Sendable (Result<[ClaimedTask], Error>) -> Void) {
        guard let queue = groupCommit(prepared) else {
            return runBlocking(callerMayBlock: callerMayBlock, executor: executor, fail: { completion(.failure($0)) }) { [self] in
                completion(Result { try claimAlone(prepared) })
            }
        }
        queue.enqueue(prepared.key, prepared, executor: executor, callerMayBlock: callerMayBlock,
                      run: { [self] in claimCoalesced($0, $1) }, completion: completion)
    }

    /// Validates that the caller holds the task's active lease. Unknown task, foreign/expired/released
    /// lease and wrong worker all read as LEASE_INVALID_OR_EXPIRED (no mutation).
    func requireActiveLease(_ db: PostgresConnection, _ caller: Caller, _ ref: LeaseRef) throws -> LeaseCheck {
        let check = try LeaseRepository(db).check(tenantID: caller.tenantID, taskID: ref.taskID, leaseID: ref.leaseID, workerID: ref.workerID)
        try Self.validateLease(check, ref)
        return check
    }

    /// The verdict of a lease check: throws LEASE_INVALID_OR_EXPIRED or INVALID_TRANSITION.
    static func validateLease(_ check: LeaseCheck, _ ref: LeaseRef) throws {
        guard check.taskExists else {
            throw EngineError.leaseInvalid("task \(ref.taskID.lowercasedString) not found or lease invalid")
        }
        guard check.leaseIsValid else {
            throw EngineError.leaseInvalid(Self.leaseProblem(check, ref))
        }
        guard let status = check.taskStatus, status.isLeased else {
            throw EngineError(.invalidTransition, "task is \(check.taskStatus?.rawValue ?? "unknown")")
        }
    }

    static func leaseProblem(_ check: LeaseCheck, _ ref: LeaseRef) -> String {
        guard let lease = check.lease else { return "lease \(ref.leaseID.lowercasedString) is not a lease of this task" }
        if lease.workerID != ref.workerID { return "lease is held by another worker" }
        if let reason = check.leaseReleaseReason { return "lease was released (\(reason))" }
        return "lease expired at \(Timestamp.rfc3339(lease.expiresAt))"
    }

    public func renewLease(_ caller: Caller, _ ref: LeaseRef, extendBySeconds: Int?) throws -> Date {
        try requireWorker(caller)
        _ = try actingPrincipal(caller, requested: ref.worker)
        let extend = min(max(extendBySeconds ?? configuration.defaultLeaseTTLSeconds, configuration.minLeaseTTLSeconds),
                         configuration.maxLeaseTTLSeconds)
        return try transaction(tenant: caller.tenantID) { db in
            let check = try requireActiveLease(db, caller, ref)
            switch try LeaseRepository(db).renew(tenantID: caller.tenantID, leaseID: ref.leaseID, extendBySeconds: extend,
                                                 maxRenewals: configuration.maxLeaseRenewals,
                                                 maxLifetimeSeconds: configuration.maxLeaseLifetimeSeconds) {
            case .renewed(let expiresAt, let count):
                if count > 10, let owner = check.owner {
                    let anomaly = NewReceipt(type: .systemAnomaly, from: .asyncgate, to: owner, taskID: ref.taskID, leaseID: ref.leaseID,
                                             body: ["kind": "lease_renewed_excessively", "renewal_count": .int(Int64(count))])
                    _ = try append(db, tenant: caller.tenantID, [anomaly])
                    counters.anomalies.add(1, ordering: .relaxed)
                }
                return expiresAt
            case .renewalLimit:
                throw EngineError(.leaseRenewalLimit, "lease renewal limit (\(configuration.maxLeaseRenewals)) reached: finish the task or let the lease expire")
            case .lifetimeLimit:
                throw EngineError(.leaseLifetimeLimit, "lease lifetime limit (\(configuration.maxLeaseLifetimeSeconds) s) reached: finish the task or let the lease expire")
            }
        }
    }

    /// leased -> running. Repeating it on a running task (same lease) is a no-op returning started_at.
    public func startTask(_ caller: Caller, _ ref: LeaseRef) throws -> Date {
        try requireWorker(caller)
        _ = try actingPrincipal(caller, requested: ref.worker)
        return try transaction(tenant: caller.tenantID) { db in
            let tasks = TaskRepository(db)
            guard try tasks.exists(tenantID: caller.tenantID, taskID: ref.taskID) else {
                throw EngineError.taskNotFound(ref.taskID.lowercasedString)
            }
            let check = try requireActiveLease(db, caller, ref)
            if check.taskStatus == .running, let task = try tasks.get(tenantID: caller.tenantID, taskID: ref.taskID), let started = task.startedAt {
                return started
            }
            guard let started = try tasks.markRunning(tenantID: caller.tenantID, taskID: ref.taskID), let owner = check.owner else {
                throw EngineError(.invalidTransition, "task is not leased")
            }
            let receipt = NewReceipt(type: .taskStarted, from: ref.worker, to: owner, taskID: ref.taskID, leaseID: ref.leaseID,
                                     parents: check.assignedReceiptID.map { [$0] } ?? [])
            _ = try append(db, tenant: caller.tenantID, [receipt])
            return started
        }
    }

    public func reportProgress(_ caller: Caller, _ ref: LeaseRef, progress: JSON) throws {
        try requireWorker(caller)
        _ = try actingPrincipal(caller, requested: ref.worker)
        try Self.checkReceiptBody(["progress": progress], what: "progress receipt body")
        try transaction(tenant: caller.tenantID) { db in
            let check = try requireActiveLease(db, caller, ref)
            try TaskRepository(db).setProgress(tenantID: caller.tenantID, taskID: ref.taskID, progress: progress)
            guard let owner = check.owner else { return }
            let receipt = NewReceipt(type: .taskProgress, from: ref.worker, to: owner, taskID: ref.taskID, leaseID: ref.leaseID,
                                     parents: check.assignedReceiptID.map { [$0] } ?? [], body: ["progress": progress])
            _ = try append(db, tenant: caller.tenantID, [receipt])
        }
    }

    /// Success: task `succeeded`, result stored, lease released, `task.completed` (parents = the
    /// task.assigned obligation) and `task.result_ready` — one transaction. A completion that is not
    /// locatable (no artifacts, no delivery proof) is stored with its parents stripped, so the
    /// obligation stays open, plus a `system.anomaly` to the owner (or rejected in strict mode).
    /// A retry of the same completion after it committed answers success again without writing.
    public func complete(_ caller: Caller, _ ref: LeaseRef, result: JSON, artifacts: JSON?, deliveryProof: JSON?) throws {
        let item = CompleteItem(ref: ref, result: result, artifacts: artifacts, deliveryProof: deliveryProof)
        try requireWorker(caller)
        let body = try prepareCompletion(caller, item)
        if item.isLocatable {
            let pending = PendingCompletion(caller: caller, item: item, body: body)
            if let completions {
                try completions.submit(caller.tenantID, pending, run: completeCoalesced)
            } else {
                try completeInOneStatement(caller, item, body: body)
            }
        } else {
            // the rare path: three receipts, one of them an anomaly
            try transaction(tenant: caller.tenantID) { db in try completeOne(db, caller, item, body: body) }
        }
        counters.tasksCompleted.add(1, ordering: .relaxed)
    }

    /// `complete` that answers through `completion` and, when the completion has to wait for a
    /// group commit, leaves the calling thread free meanwhile (the request path of the API). The
    /// batch it joins may run on `executor`.
    public func complete(_ caller: Caller, _ ref: LeaseRef, result: JSON, artifacts: JSON?, deliveryProof: JSON?,
                         executor: @escaping BlockingExecutor, callerMayBlock: Bool = true,
                         completion: @escaping @Sendable (Result<Void, Error>) -> Void) {
        let item = CompleteItem(ref: ref, result: result, artifacts: artifacts, deliveryProof: deliveryProof)
        let body: JSON
        do {
            try requireWorker(caller)
            body = try prepareCompletion(caller, item)
        } catch {
            return completion(.failure(error))
        }
        guard item.isLocatable, let completions else {
            return runBlocking(callerMayBlock: callerMayBlock, executor: executor, fail: { completion(.failure($0)) }) { [self] in
                completion(Result { try complete(caller, ref, result: result, artifacts: artifacts, deliveryProof: deliveryProof) })
            }
        }
        completions.enqueue(caller.tenantID, PendingCompletion(caller: caller, item: item, body: body), executor: executor,
                            callerMayBlock: callerMayBlock, run: { [self] in completeCoalesced($0, $1) }) { [self] outcome in
            if case .success = outcome { counters.tasksCompleted.add(1, ordering: .relaxed) }
            completion(outcome)
        }
    }

    /// A locatable completion: check, release, task update and both receipts in ONE statement,
    /// committed on its own (one round trip). When the check fails nothing was written and the
    /// check explains why (or recognises a retry of a committed completion).
    func completeInOneStatement(_ caller: Caller, _ item: CompleteItem, body: JSON) throws {
        let ref = item.ref
        let receipts = LeaseRepository.CompletionReceipts(
            completedID: Identifiers.next(), completedFrom: ref.worker, completedBody: body,
            readyID: Identifiers.next(), readyFrom: .asyncgate, readyBody: ["status": "succeeded"])
        try withConnection(tenant: caller.tenantID) { db in
            var attempt = 0
            while true {
                do {
                    let outcome = try LeaseRepository(db).checkCompleteAndRecord(
                        tenantID: caller.tenantID, taskID: ref.taskID, leaseID: ref.leaseID, workerID: ref.workerID,
                        result: item.result, artifacts: item.artifacts, receipts: receipts, instance: instanceID)
                    guard outcome.completed else { return try explainUnwrittenCompletion(db, caller, ref, outcome.check) }
                    counters.receipts.add(outcome.receipts, ordering: .relaxed)
                    return
                } catch let error as PostgresError where error.isSerializationFailure && attempt < 3 {
                    attempt += 1
                }
            }
        }
    }

    /// Validates a completion before any transaction: principal, artifact count, receipt size.
    func prepareCompletion(_ caller: Caller, _ item: CompleteItem) throws -> JSON {
        _ = try actingPrincipal(caller, requested: item.ref.worker)
        if let list = item.artifacts?.arrayValue, list.count > ReceiptLimits.maxArtifacts {
            throw EngineError(.tooManyArtifacts, "at most \(ReceiptLimits.maxArtifacts) artifacts")
        }
        if !item.isLocatable && configuration.strictLocatability {
            throw EngineError.validation("a completion must carry artifacts or delivery_proof")
        }
        var body: [String: JSON] = ["result": item.result]
        if let artifacts = item.artifacts { body["artifacts"] = artifacts }
        if let proof = item.deliveryProof { body["delivery_proof"] = proof }
        try Self.checkReceiptBody(.object(body), what: "completion receipt body")
        return .object(body)
    }

    func completeOne(_ db: PostgresConnection, _ caller: Caller, _ item: CompleteItem, body: JSON) throws {
        // Happy path: check, lease release and task update are one statement; the receipts go
        // with COMMIT. Anything else reads the check to explain (or recognise a repeat).
        let (check, written) = try LeaseRepository(db).checkAndComplete(
            tenantID: caller.tenantID, taskID: item.ref.taskID, leaseID: item.ref.leaseID, workerID: item.ref.workerID,
            result: item.result, artifacts: item.artifacts)
        guard written else { return try explainUnwrittenCompletion(db, caller, item.ref, check) }
        try appendAtCommit(db, tenant: caller.tenantID, try completionReceipts(item, check, body: body))
    }

    /// A completion whose check failed wrote nothing: the error that says why, or nothing when it is
    /// a client retry of a completion that already committed (answered as success).
    func explainUnwrittenCompletion(_ db: PostgresConnection, _ caller: Caller, _ ref: LeaseRef, _ check: LeaseCheck) throws {
        do {
            try Self.validateLease(check, ref)
        } catch let error as EngineError where error.code == .leaseInvalidOrExpired {
            if try isRepeat(db, caller, ref, releaseReason: "completed") { return }
            throw error
        }
        throw EngineError(.invalidTransition, "task is not leased or running")
    }

    /// The receipts of a written completion: `task.completed` (parents = the obligation, or none when
    /// the completion is not locatable), `task.result_ready`, and a `system.anomaly` when not locatable.
    func completionReceipts(_ item: CompleteItem, _ check: LeaseCheck, body: JSON) throws -> [NewReceipt] {
        let ref = item.ref
        guard let owner = check.owner, let assigned = check.assignedReceiptID else { throw EngineError(.internal, "task row incomplete") }
        let completed = NewReceipt(type: .taskCompleted, from: ref.worker, to: owner, taskID: ref.taskID, leaseID: ref.leaseID,
                                   parents: item.isLocatable ? [assigned] : [], body: body)
        let ready = NewReceipt(type: .taskResultReady, from: .asyncgate, to: owner, taskID: ref.taskID, leaseID: nil,
                               parents: [completed.receiptID], body: ["status": "succeeded"])
        var receipts = [completed, ready]
        if !item.isLocatable {
            receipts.append(NewReceipt(type: .systemAnomaly, from: .asyncgate, to: owner, taskID: ref.taskID, leaseID: ref.leaseID,
                                       parents: [completed.receiptID],
                                       body: ["kind": "locatability_missing",
                                              "message": "task.completed carried neither artifacts nor delivery_proof; the obligation stays open"]))
            counters.anomalies.add(1, ordering: .relaxed)
        }
        return receipts
    }

    /// Failure: retryable with attempts left → requeued (attempt + 1, exponential backoff) with a
    /// `task.retry_scheduled` receipt; otherwise terminal `failed` with `task.failed` (discharging the
    /// obligation) and `task.result_ready`. One statement, committed on its own (one round trip).
    public func fail(_ caller: Caller, _ ref: LeaseRef, error: JSON, retryable: Bool) throws -> FailResult {
        let item = FailItem(ref: ref, error: error, retryable: retryable)
        try requireWorker(caller)
        try prepareFailure(caller, item)
        // The statement writes bodies with values only it knows; when even the largest of them is
        // within the receipt limit it needs no look first. Otherwise (an error within a few dozen
        // bytes of the limit) the two-step path checks the exact body before it is written.
        let outcome = Self.largestFailureBodyFits(item)
            ? try failInOneStatement(caller, item)
            : try transaction(tenant: caller.tenantID) { db in try failOne(db, caller, item) }
        if outcome.requeued { counters.tasksRequeued.add(1, ordering: .relaxed) } else { counters.tasksFailed.add(1, ordering: .relaxed) }
        return outcome
    }

    /// Whether the largest receipt body `failInOneStatement` can write for `item` (a requeue's, with
    /// the widest attempt, backoff and timestamp) is within the receipt limit.
    static func largestFailureBodyFits(_ item: FailItem) -> Bool {
        let widest: JSON = ["error": item.error, "requeued": true, "attempt": .int(Int64(Int32.max)),
                            "backoff_seconds": .int(Int64(Int32.max)), "next_eligible_at": "0000-00-00T00:00:00.000000Z"]
        return widest.canonicalBytes.count <= ReceiptLimits.maxBodyBytes
    }

    /// A failure's check, release, requeue-or-fail and receipts in ONE statement. When the check
    /// fails nothing was written and the check explains why (or recognises a retry of a committed
    /// failure). The retry decision is the database's; `RetryPolicy` is the reference it is
    /// compared with afterwards (a disagreement is logged: the statement has committed).
    func failInOneStatement(_ caller: Caller, _ item: FailItem) throws -> FailResult {
        let (sql, binds) = failStatement(caller, item)
        return try withConnection(tenant: caller.tenantID) { db in
            var attempt = 0
            while true {
                do {
                    let (outcome, written) = try LeaseRepository.decodeFailAndRecord(try db.query(sql, binds))
                    return try failureResult(db, caller, item, outcome, receipts: written)
                } catch let error as PostgresError where error.isSerializationFailure && attempt < 3 {
                    attempt += 1
                }
            }
        }
    }

    /// The answer to a failure `checkFailAndRecord` ran for: what it wrote, or, when it wrote
    /// nothing, the error that says why (or the answer to a client retry). The retry decision is
    /// the database's; a disagreement with `RetryPolicy` is logged (the statement has committed).
    func failureResult(_ db: PostgresConnection, _ caller: Caller, _ item: FailItem, _ outcome: LeaseRepository.FailOutcome,
                       receipts written: Int) throws -> FailResult {
        guard outcome.written else { return try explainUnwrittenFailure(db, caller, item.ref, outcome.check) }
        counters.receipts.add(written, ordering: .relaxed)
        let check = outcome.check
        let requeue = RetryPolicy.shouldRequeue(retryable: item.retryable, attempt: check.attempt, maxAttempts: check.maxAttempts)
        let backoff = RetryPolicy.backoffSeconds(base: check.retryBackoffSeconds, attempt: check.attempt,
                                                 cap: configuration.maxRetryBackoffSeconds)
        if requeue != outcome.requeued || (requeue && backoff != outcome.backoffSeconds) || written != (requeue ? 1 : 2) {
            logger.error("failure of task \(item.ref.taskID.lowercasedString): the database requeued=\(outcome.requeued) backoff=\(outcome.backoffSeconds) receipts=\(written); RetryPolicy says requeue=\(requeue) backoff=\(backoff)")
        }
        return FailResult(requeued: outcome.requeued, nextEligibleAt: outcome.requeued ? outcome.nextEligibleAt : nil)
    }

    /// The `checkFailAndRecord` statement for `item`, with fresh receipt ids.
    func failStatement(_ caller: Caller, _ item: FailItem) -> (String, [(any PostgresBindable)?]) {
        let ref = item.ref
        return LeaseRepository.checkFailAndRecordStatement(
            tenantID: caller.tenantID, taskID: ref.taskID, leaseID: ref.leaseID, workerID: ref.workerID,
            error: item.error, retryable: item.retryable, maxBackoffSeconds: configuration.maxRetryBackoffSeconds,
            receipts: LeaseRepository.FailureReceipts(firstID: Identifiers.next(), worker: ref.worker,
                                                      readyID: Identifiers.next(), readyFrom: .asyncgate),
            instance: instanceID)
    }

    /// A failure whose check failed wrote nothing: the error that says why, or the answer to a
    /// client retry of a failure that already committed.
    func explainUnwrittenFailure(_ db: PostgresConnection, _ caller: Caller, _ ref: LeaseRef, _ check: LeaseCheck) throws -> FailResult {
        do {
            try Self.validateLease(check, ref)
        } catch let e as EngineError where e.code == .leaseInvalidOrExpired {
            if try isRepeat(db, caller, ref, releaseReason: "failed") { return FailResult(requeued: false, nextEligibleAt: nil) }
            if try isRepeat(db, caller, ref, releaseReason: "requeued") { return FailResult(requeued: true, nextEligibleAt: nil) }
            throw e
        }
        throw EngineError(.invalidTransition, "task is not leased or running")
    }

    func prepareFailure(_ caller: Caller, _ item: FailItem) throws {
        _ = try actingPrincipal(caller, requested: item.ref.worker)
        try Self.checkReceiptBody(["error": item.error], what: "failure receipt body")
    }

    func failOne(_ db: PostgresConnection, _ caller: Caller, _ item: FailItem) throws -> FailResult {
        let ref = item.ref
        // Happy path in one statement (check, release, requeue-or-fail); receipts go with COMMIT.
        let outcome = try LeaseRepository(db).checkAndFail(
            tenantID: caller.tenantID, taskID: ref.taskID, leaseID: ref.leaseID, workerID: ref.workerID,
            error: item.error, retryable: item.retryable, maxBackoffSeconds: configuration.maxRetryBackoffSeconds)
        let check = outcome.check
        guard outcome.written else { return try explainUnwrittenFailure(db, caller, ref, check) }
        guard let owner = check.owner, let assigned = check.assignedReceiptID else { throw EngineError(.internal, "task row incomplete") }
        // The statement applied the retry policy in SQL; RetryPolicy stays the reference. A
        // disagreement throws, which rolls the whole transaction back.
        let requeue = RetryPolicy.shouldRequeue(retryable: item.retryable, attempt: check.attempt, maxAttempts: check.maxAttempts)
        let backoff = RetryPolicy.backoffSeconds(base: check.retryBackoffSeconds, attempt: check.attempt,
                                                 cap: configuration.maxRetryBackoffSeconds)
        guard requeue == outcome.requeued, !requeue || backoff == outcome.backoffSeconds else {
            throw EngineError(.internal, "retry decision of the database and RetryPolicy disagree")
        }
        if requeue {
            guard let next = outcome.nextEligibleAt else { throw EngineError(.internal, "requeued task has no next_eligible_at") }
            let receipt = NewReceipt(type: .taskRetryScheduled, from: ref.worker, to: owner, taskID: ref.taskID, leaseID: ref.leaseID,
                                     parents: [assigned],
                                     body: ["error": item.error, "requeued": true, "attempt": .int(Int64(check.attempt + 1)),
                                            "next_eligible_at": .string(Timestamp.rfc3339(next)), "backoff_seconds": .int(Int64(backoff))])
            try appendAtCommit(db, tenant: caller.tenantID, [receipt])
            return FailResult(requeued: true, nextEligibleAt: next)
        }
        let failed = NewReceipt(type: .taskFailed, from: ref.worker, to: owner, taskID: ref.taskID, leaseID: ref.leaseID,
                                parents: [assigned],
                                body: ["error": item.error, "retryable": .bool(item.retryable), "attempt": .int(Int64(check.attempt))])
        let ready = NewReceipt(type: .taskResultReady, from: .asyncgate, to: owner, taskID: ref.taskID, leaseID: nil,
                               parents: [failed.receiptID], body: ["status": "failed"])
        try appendAtCommit(db, tenant: caller.tenantID, [failed, ready])
        return FailResult(requeued: false, nextEligibleAt: nil)
    }

    /// Whether this exact lease, held by this worker, already finished the task the same way: the
    /// request is a client retry of a committed operation and is answered as success.
    func isRepeat(_ db: PostgresConnection, _ caller: Caller, _ ref: LeaseRef, releaseReason: String) throws -> Bool {
        let check = try LeaseRepository(db).check(tenantID: caller.tenantID, taskID: ref.taskID, leaseID: ref.leaseID, workerID: ref.workerID)
        return check.lease?.workerID == ref.workerID && check.leaseReleaseReason == releaseReason
    }

    public static func isPresent(_ value: JSON?) -> Bool {
        switch value {
        case .none, .some(.null): return false
        case .some(.array(let a)): return !a.isEmpty
        case .some(.object(let o)): return !o.isEmpty
        case .some(.string(let s)): return !s.isEmpty
        default: return true
        }
    }

    static func checkReceiptBody(_ body: JSON, what: String) throws {
        let size = body.canonicalBytes.count
        if size > ReceiptLimits.maxBodyBytes {
            throw EngineError(.receiptTooLarge, "\(what) is \(size) bytes; receipts are limited to \(ReceiptLimits.maxBodyBytes) bytes")
        }
    }
}

