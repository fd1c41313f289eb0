import Domain
import Foundation
import JSON
import Postgres
import Storage

public struct CompleteItem: Sendable {
    public var ref: LeaseRef
    public var result: JSON
    public var artifacts: JSON?
    public var deliveryProof: JSON?
    public init(ref: LeaseRef, result: JSON, artifacts: JSON?, deliveryProof: JSON?) {
        self.ref = ref; self.result = result; self.artifacts = artifacts; self.deliveryProof = deliveryProof
    }
    var isLocatable: Bool { Engine.isPresent(artifacts) || Engine.isPresent(deliveryProof) }
}

public struct FailItem: Sendable {
    public var ref: LeaseRef
    public var error: JSON
    public var retryable: Bool
    public init(ref: LeaseRef, error: JSON, retryable: Bool) { self.ref = ref; self.error = error; self.retryable = retryable }
}

/// Batch operations (issue 6). Each item is validated on its own and reported on its own; the
/// items that pass are written in ONE transaction (one commit for the whole batch), and one stale
/// lease never undoes its neighbours.
///
/// Batch complete is set-based: ONE statement checks every item and writes the items that pass
/// together with their receipts (one round trip per batch; the first set-based version took drain
/// from 1,705 to 3,947 jobs/s). Batches that name a task twice or hold a completion that is not
/// locatable (it needs an anomaly receipt), and any batch whose set statement fails, go item by
/// item instead: each item in its own pipelined savepoint (SAVEPOINT + its
/// check-and-write statement; its receipts + RELEASE), so a failure is charged to its item. Batch
/// fail sends one statement per item, all in one pipeline (one round trip); batch create is one
/// statement for all items.
extension Engine {
    public static let maxBatchSize = 100

    public func createTasks(_ caller: Caller, _ inputs: [CreateTaskInput]) throws -> [Result<CreateTaskResult, EngineError>] {
        try requireAgent(caller)
        try Self.checkBatchSize(inputs.count)
        var results = [Result<CreateTaskResult, EngineError>?](repeating: nil, count: inputs.count)
        var prepared: [(Int, TaskInsert, NewReceipt, String?)] = []
        for (i, input) in inputs.enumerated() {
            do {
                let (insert, receipt) = try prepareCreate(caller, input)
                prepared.append((i, insert, receipt, input.idempotencyKey))
            } catch let error as EngineError {
                results[i] = .failure(error)
            }
        }
        if !prepared.isEmpty {
            // Every insert in ONE statement: one implicit transaction (all or nothing, as before),
            // one round trip. An item whose idempotency key already names a task wrote nothing
            // and is answered with that task afterwards.
            let (sql, binds) = TaskRepository.insertManyWithAssignedReceiptsStatement(
                tenantID: caller.tenantID, prepared.map { ($0.1, $0.2) }, instance: instanceID)
            let written = try withConnection(tenant: caller.tenantID) { db -> [(Int, Result<CreateTaskResult, EngineError>)] in
                var attempt = 0
                let created: [UUID: TaskStatus]
                while true {
                    do {
                        created = try TaskRepository.decodeInsertMany(try db.query(sql, binds)).created
                        break
                    } catch let error as PostgresError where error.isSerializationFailure && attempt < 3 {
                        attempt += 1
                    }
                }
                let tasks = TaskRepository(db)
                return try prepared.map { i, insert, _, key in
                    if let status = created[insert.taskID] {
                        return (i, .success(CreateTaskResult(taskID: insert.taskID, status: status, created: true)))
                    }
                    guard let key, let existing = try tasks.findByIdempotencyKey(tenantID: caller.tenantID, key: key) else {
                        return (i, .failure(EngineError(.internal, "task insert returned no row")))
                    }
                    return (i, .success(CreateTaskResult(taskID: existing.taskID, status: existing.status, created: false)))
                }
            }
            var announced: [CreateTaskInput] = []
            for (i, r) in written {
                results[i] = r
                if case .success(let c) = r, c.created {
                    counters.tasksCreated.add(1, ordering: .relaxed)
                    announced.append(inputs[i])
                }
            }
            announce(caller.tenantID, announced)
        }
        return results.map { $0! }
    }

    public func completeMany(_ caller: Caller, _ items: [CompleteItem]) throws -> [Result<Void, EngineError>] {
        try requireWorker(caller)
        try Self.checkBatchSize(items.count)
        var results = [Result<Void, EngineError>?](repeating: nil, count: items.count)
        var bodies: [Int: JSON] = [:]
        for (i, item) in items.enumerated() {
            do { bodies[i] = try prepareCompletion(caller, item) } catch let e as EngineError { results[i] = .failure(e) }
        }
        if !bodies.isEmpty {
            let order = bodies.keys.sorted()
            let outcomes: [(Int, Result<Void, EngineError>)]
            if order.count > 1, Set(order.map { items[$0].ref.taskID }).count == order.count, order.allSatisfy({ items[$0].isLocatable }) {
                do {
                    let set = try completeSet(caller.tenantID, order.map { PendingCompletion(caller: caller, item: items[$0], body: bodies[$0]!) })
                    outcomes = Array(zip(order, set))
                } catch let error as PostgresError {
                    // Nothing was written (the statement failed as a whole): redo item by item, so
                    // the failure is charged to the item that caused it.
                    logger.warning("set-based batch completion failed; completing item by item", metadata: ["error": "\(error)"])
                    outcomes = try completeEach(caller, items, order, bodies)
                }
            } else {
                outcomes = try completeEach(caller, items, order, bodies)
            }
            for (i, r) in outcomes {
                results[i] = r
                if case .success = r { counters.tasksCompleted.add(1, ordering: .relaxed) }
            }
        }
        return results.map { $0! }
    }

    /// A locatable completion waiting for its group commit (`Coalescer`), or one item of a batch.
    struct PendingCompletion {
        var caller: Caller
        var item: CompleteItem
        var body: JSON
    }

    /// Concurrent single completions of one tenant, group-committed through the batch statement
    /// (`completeSet`): one round trip and one commit for all. Each is checked on its own there, so
    /// a stale lease fails only its own call. Completions naming one task twice, and any batch whose
    /// statement fails, are redone one by one (a completion that did commit is recognised as a
    /// repeat and answered as success, so redoing never writes twice).
    func completeCoalesced(_ tenant: UUID, _ batch: [PendingCompletion]) -> [Result<Void, Error>] {
        func alone(_ p: PendingCompletion) -> Result<Void, Error> {
            Result { try completeInOneStatement(p.caller, p.item, body: p.body) }
        }
        guard batch.count > 1, Set(batch.map(\.item.ref.taskID)).count == batch.count else { return batch.map(alone) }
        do {
            return try completeSet(tenant, batch).map { $0.mapError { $0 } }
        } catch let error as EngineError where error.code == .unavailable {
            return batch.map { _ in .failure(error) }
        } catch {
            logger.warning("group-committed completions failed; completing one by one", metadata: ["error": "\(error)"])
            return batch.map(alone)
        }
    }

    /// The whole batch — checks, writes and every written item's receipts — in ONE statement
    /// (`checkCompleteAndRecordMany`), committed on its own: one round trip. Items whose check
    /// failed wrote nothing and are explained one by one afterwards (or recognised as repeats).
    /// Items must name distinct tasks and be locatable. Results are in `entries` order.
    func completeSet(_ tenant: UUID, _ entries: [PendingCompletion]) throws -> [Result<Void, EngineError>] {
        let inputs = entries.map { e in
            LeaseRepository.CompletionInput(
                taskID: e.item.ref.taskID, leaseID: e.item.ref.leaseID, workerID: e.item.ref.workerID,
                result: e.item.result, artifacts: e.item.artifacts,
                receipts: LeaseRepository.CompletionReceipts(
                    completedID: Identifiers.next(), completedFrom: e.item.ref.worker, completedBody: e.body,
                    readyID: Identifiers.next(), readyFrom: .asyncgate, readyBody: ["status": "succeeded"]))
        }
        return try withConnection(tenant: tenant) { db in
            var attempt = 0
            while true {
                do {
                    let written = try LeaseRepository(db).checkCompleteAndRecordMany(tenantID: tenant, inputs, instance: instanceID)
                    counters.receipts.add(written.receipts, ordering: .relaxed)
                    return try zip(entries, written.items).map { e, w -> Result<Void, EngineError> in
                        do {
                            if !w.completed { try explainUnwrittenCompletion(db, e.caller, e.item.ref, w.check) }
                            return .success(())
                        } catch let error as EngineError {
                            return .failure(error)
                        }
                    }
                } catch let error as PostgresError where error.isSerializationFailure && attempt < 3 {
                    attempt += 1
                }
            }
        }
    }

    /// One savepoint per item (pipelined: two round trips each): the general path.
    func completeEach(_ caller: Caller, _ items: [CompleteItem], _ order: [Int],
                      _ bodies: [Int: JSON]) throws -> [(Int, Result<Void, EngineError>)] {
        try transaction(tenant: caller.tenantID) { db in
            try order.map { i -> (Int, Result<Void, EngineError>) in
                do {
                    try db.savepoint(pipelined: true) { sp in try completeOne(sp, caller, items[i], body: bodies[i]!) }
                    return (i, .success(()))
                } catch let e as EngineError {
                    return (i, .failure(e))
                }
            }
        }
    }

    public func failMany(_ caller: Caller, _ items: [FailItem]) throws -> [Result<FailResult, EngineError>] {
        try requireWorker(caller)
        try Self.checkBatchSize(items.count)
        var results = [Result<FailResult, EngineError>?](repeating: nil, count: items.count)
        var valid: [Int] = []
        for (i, item) in items.enumerated() {
            do { try prepareFailure(caller, item); valid.append(i) } catch let e as EngineError { results[i] = .failure(e) }
        }
        if !valid.isEmpty {
            var outcomes: [(Int, Result<FailResult, EngineError>)]? = nil
            if valid.allSatisfy({ Self.largestFailureBodyFits(items[$0]) }) {
                do {
                    outcomes = try failPipelined(caller, items, valid)
                } catch let error as PostgresError where !error.isConnectionError {
                    // Nothing was written (the pipeline is one transaction): redo item by item,
                    // so the failure is charged to the item that caused it.
                    logger.warning("pipelined batch failure failed; failing item by item", metadata: ["error": "\(error)"])
                }
            }
            for (i, r) in try outcomes ?? failEach(caller, items, valid) {
                results[i] = r
                if case .success(let f) = r {
                    if f.requeued { counters.tasksRequeued.add(1, ordering: .relaxed) } else { counters.tasksFailed.add(1, ordering: .relaxed) }
                }
            }
        }
        return results.map { $0! }
    }

    /// Every item's `checkFailAndRecord` statement in ONE pipeline (one implicit transaction, one
    /// round trip), in lease order so that concurrent batches lock alike. A statement whose check
    /// fails writes nothing, so the items that pass commit together and the others are explained
    /// afterwards, one by one (or recognised as repeats of a committed failure).
    func failPipelined(_ caller: Caller, _ items: [FailItem], _ valid: [Int]) throws -> [(Int, Result<FailResult, EngineError>)] {
        let order = valid.enumerated().sorted { a, b in
            let (x, y) = (items[a.element].ref.leaseID.lowercasedString, items[b.element].ref.leaseID.lowercasedString)
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        let statements = order.map { failStatement(caller, items[$0]) }
        return try withConnection(tenant: caller.tenantID) { db in
            var attempt = 0
            while true {
                do {
                    let rows = try db.pipeline(statements)
                    return try zip(order, rows).map { i, result in
                        do {
                            let (outcome, written) = try LeaseRepository.decodeFailAndRecord(result)
                            return (i, .success(try failureResult(db, caller, items[i], outcome, receipts: written)))
                        } catch let e as EngineError {
                            return (i, .failure(e))
                        }
                    }
                } catch let error as PostgresError where error.isSerializationFailure && attempt < 3 {
                    attempt += 1
                }
            }
        }
    }

    /// Item by item, each in its own savepoint of one transaction.
    func failEach(_ caller: Caller, _ items: [FailItem], _ valid: [Int]) throws -> [(Int, Result<FailResult, EngineError>)] {
        try transaction(tenant: caller.tenantID) { db in
            try valid.map { i -> (Int, Result<FailResult, EngineError>) in
                do {
                    return (i, .success(try db.savepoint(pipelined: true) { sp in try failOne(sp, caller, items[i]) }))
                } catch let e as EngineError {
                    return (i, .failure(e))
                }
            }
        }
    }

    static func checkBatchSize(_ count: Int) throws {
        guard count > 0 else { throw EngineError.validation("a batch needs at least one item") }
        guard count <= maxBatchSize else {
            throw EngineError(.batchTooLarge, "a batch holds at most \(maxBatchSize) items, got \(count)")
        }
    }
}
