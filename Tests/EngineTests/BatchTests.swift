import Domain
import Engine
import Foundation
import Synchronization
import JSON
import Storage
import Testing
import TestSupport

@Suite struct BatchTests {
    @Test func createManyWithPerItemIdempotencyAndErrors() throws {
        let f = try EngineFixture()
        var a = CreateTaskInput(owner: alice, type: "echo"); a.idempotencyKey = "k1"
        var b = CreateTaskInput(owner: alice, type: "echo"); b.idempotencyKey = "k1"   // same key in one batch
        var bad = CreateTaskInput(owner: alice, type: "echo"); bad.requirements = ["capabilities": "gpu"]
        let c = CreateTaskInput(owner: alice, type: "other")
        let results = try f.engine.createTasks(shared, [a, b, bad, c])
        let first = try results[0].get(), second = try results[1].get()
        #expect(first.created && !second.created && first.taskID == second.taskID)
        guard case .failure(let e) = results[2] else { Issue.record("expected a validation failure"); return }
        #expect(e.code == .validation)
        #expect(try results[3].get().created)
        #expect(try f.count("SELECT count(*) FROM tasks") == 2)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.assigned'") == 2)
        #expect(expectEngineError(.batchTooLarge) { _ = try f.engine.createTasks(shared, Array(repeating: c, count: 101)) })
    }

    /// A batch of creates is one round trip however many items it holds, and a repeated key (in
    /// the batch, or from an earlier request) answers the existing task with one look-up each.
    @Test func createManyIsOneRoundTrip() throws {
        let f = try EngineFixture(configure: { $0.notifyEnabled = false }, poolSize: 1)
        try f.pool.withConnection { _ = try $0.refreshPlansIfDue(now: .now + .seconds(3600)) }
        func batch(_ inputs: [CreateTaskInput]) throws -> (Int, [CreateTaskResult]) {
            let before = try f.pool.withConnection { $0.roundTrips }
            let results = try f.engine.createTasks(shared, inputs).map { try $0.get() }
            return (try f.pool.withConnection { $0.roundTrips } - before, results)
        }
        _ = try batch([CreateTaskInput(owner: alice, type: "echo")])  // prepares the statement
        let (two, _) = try batch(Array(repeating: CreateTaskInput(owner: alice, type: "echo"), count: 2))
        let (fifty, created) = try batch(Array(repeating: CreateTaskInput(owner: alice, type: "echo"), count: 50))
        #expect(two == 1 && fifty == 1, "round trips: 2 items \(two), 50 items \(fifty)")
        #expect(created.allSatisfy(\.created) && Set(created.map(\.taskID)).count == 50)
        var keyed = CreateTaskInput(owner: alice, type: "echo"); keyed.idempotencyKey = "k"
        let (_, first) = try batch([keyed, keyed])
        #expect(first[0].created && !first[1].created && first[0].taskID == first[1].taskID)
        let (again, repeated) = try batch([keyed, CreateTaskInput(owner: alice, type: "echo")])
        #expect(!repeated[0].created && repeated[0].taskID == first[0].taskID && repeated[1].created)
        #expect(again == 2, "the pipeline, then one look-up for the repeated key")
        #expect(try f.count("SELECT count(*) FROM tasks") == 1 + 2 + 50 + 1 + 1)
    }

    @Test func completeManyReportsStaleLeasesAndKeepsTheRest() throws {
        let f = try EngineFixture()
        for _ in 0..<5 { _ = try f.create() }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 5
        let claimed = try f.engine.claim(shared, input)
        #expect(claimed.count == 5)
        try f.expireLease(claimed[2].leaseID)
        var items = claimed.map { CompleteItem(ref: f.ref($0), result: ["ok": true], artifacts: [["uri": "x"]], deliveryProof: nil) }
        items.append(CompleteItem(ref: LeaseRef(taskID: UUID(), leaseID: UUID(), workerID: "w1"), result: [:], artifacts: [["a": 1]], deliveryProof: nil))
        let results = try f.engine.completeMany(shared, items)
        #expect(results.count == 6)
        for i in [0, 1, 3, 4] { #expect((try? results[i].get()) != nil) }
        for i in [2, 5] {
            guard case .failure(let e) = results[i] else { Issue.record("item \(i) should fail"); continue }
            #expect(e.code == .leaseInvalidOrExpired)
        }
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'succeeded'") == 4)
        #expect(try f.task(claimed[2].task.taskID).status == .leased, "the stale item changed nothing")
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.completed'") == 4)
        #expect(try f.openObligations().count == 1)
    }

    /// Every way an item of a set-based batch can go wrong, next to items that pass: each is
    /// reported on its own, the failures write nothing, and the passing items are written once.
    @Test func completeManySetPathReportsEachItemAndWritesOnlyThePassingOnes() throws {
        let f = try EngineFixture()
        for _ in 0..<6 { _ = try f.create() }
        let queued = try f.create()
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 6
        let claimed = try f.engine.claim(shared, input)
        #expect(claimed.count == 6)
        // claimed[0]: completed before (the batch item is a client retry: ok, nothing written again)
        try f.engine.complete(shared, f.ref(claimed[0]), result: ["n": 0], artifacts: [["uri": "a"]], deliveryProof: nil)
        // claimed[1]: running (started) — completes normally
        _ = try f.engine.startTask(shared, f.ref(claimed[1]))
        // claimed[2]: expired lease
        try f.expireLease(claimed[2].leaseID)
        // claimed[3]: delivery proof instead of artifacts
        // claimed[4]: the lease of claimed[5] named with claimed[4]'s task
        // claimed[5]: plain success
        let ok: JSON = [["uri": "x"]]
        let items = [
            CompleteItem(ref: f.ref(claimed[0]), result: ["n": 0], artifacts: [["uri": "a"]], deliveryProof: nil),
            CompleteItem(ref: f.ref(claimed[1]), result: ["n": 1], artifacts: ok, deliveryProof: nil),
            CompleteItem(ref: f.ref(claimed[2]), result: ["n": 2], artifacts: ok, deliveryProof: nil),
            CompleteItem(ref: f.ref(claimed[3]), result: ["n": 3], artifacts: nil, deliveryProof: ["signed": "by-w1"]),
            CompleteItem(ref: LeaseRef(taskID: claimed[4].task.taskID, leaseID: claimed[5].leaseID, workerID: "w1"),
                         result: ["n": 4], artifacts: ok, deliveryProof: nil),
            CompleteItem(ref: f.ref(claimed[5]), result: ["n": 5], artifacts: ok, deliveryProof: nil),
            CompleteItem(ref: LeaseRef(taskID: queued, leaseID: UUID(), workerID: "w1"), result: [:], artifacts: ok, deliveryProof: nil),
        ]
        let results = try f.engine.completeMany(shared, items)
        for i in [0, 1, 3, 5] { #expect((try? results[i].get()) != nil, "item \(i) should succeed") }
        for i in [2, 4, 6] {
            guard case .failure(let e) = results[i] else { Issue.record("item \(i) should fail"); continue }
            #expect(e.code == .leaseInvalidOrExpired, "item \(i): \(e)")
        }
        #expect(try f.task(claimed[1].task.taskID).result == ["n": 1])
        #expect(try f.task(claimed[5].task.taskID).result == ["n": 5])
        #expect(try f.task(claimed[3].task.taskID).status == .succeeded)
        #expect(try f.task(claimed[2].task.taskID).status == .leased, "the expired item changed nothing")
        #expect(try f.task(claimed[4].task.taskID).status == .leased, "the mismatched item changed nothing")
        #expect(try f.task(queued).status == .queued)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.completed'") == 4)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.result_ready'") == 4)
        #expect(try f.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 2)
        // open: claimed[2], claimed[4] (unfinished), the queued task
        #expect(try f.openObligations().count == 3)
        // every receipt the statement wrote carries the canonical hash (computed in SQL)
        let ledger = try f.engine.ledger(shared, filter: LedgerFilter(taskID: nil, leaseID: nil, receiptType: nil, taskStatus: .succeeded),
                                         since: nil, limit: 100)
        #expect(ledger.count == 4 * 4 + 1, "assigned, accepted, completed, result_ready each, and one task.started")
        for r in ledger {
            #expect(r.hash == ReceiptHash.compute(type: r.type, taskID: r.taskID, from: r.from, to: r.to, leaseID: r.leaseID,
                                                  parents: r.parents, body: r.body), "\(r.type)")
        }
    }

    /// A completion that is not locatable needs an anomaly receipt: its batch goes item by item.
    @Test func completeManyWithANonLocatableItem() throws {
        let f = try EngineFixture()
        for _ in 0..<2 { _ = try f.create() }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "ext:w1")); input.maxTasks = 2
        let claimed = try f.engine.claim(shared, input)
        let results = try f.engine.completeMany(shared, [
            CompleteItem(ref: f.ref(claimed[0]), result: ["n": 0], artifacts: nil, deliveryProof: nil),
            CompleteItem(ref: f.ref(claimed[1]), result: ["n": 1], artifacts: [["uri": "x"]], deliveryProof: nil),
        ])
        for r in results { #expect((try? r.get()) != nil) }
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'system.anomaly'") == 1)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.completed' AND from_id = 'w1'") == 2)
        #expect(try f.openObligations().map(\.taskID) == [claimed[0].task.taskID], "the unlocatable one stays open")
    }

    /// A worker claiming as `ext:w1` is `w1` (normalised when the claim and the API read it): the
    /// set path writes receipts from `w1` with canonical hashes.
    @Test func completeManySetPathNormalisesTheWorkerID() throws {
        let f = try EngineFixture()
        for _ in 0..<3 { _ = try f.create() }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "ext:w1")); input.maxTasks = 3
        let claimed = try f.engine.claim(shared, input)
        let results = try f.engine.completeMany(shared, claimed.map {
            CompleteItem(ref: f.ref($0), result: ["ok": true], artifacts: [["uri": "x"]], deliveryProof: nil)
        })
        for r in results { #expect((try? r.get()) != nil) }
        let completed = try f.engine.ledger(shared, filter: LedgerFilter(taskID: nil, leaseID: nil, receiptType: "task.completed", taskStatus: nil),
                                            since: nil, limit: 10)
        #expect(completed.count == 3)
        for r in completed {
            #expect(r.from == Principal(kind: .worker, id: "w1"))
            #expect(r.hash == ReceiptHash.compute(type: r.type, taskID: r.taskID, from: r.from, to: r.to, leaseID: r.leaseID,
                                                  parents: r.parents, body: r.body))
        }
        #expect(try f.openObligations().isEmpty)
    }

    /// The same task twice in one batch goes item by item: the second is a retry of the first.
    @Test func completeManyWithTheSameTaskTwiceWritesItOnce() throws {
        let f = try EngineFixture()
        _ = try f.create(); _ = try f.create()
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 2
        let claimed = try f.engine.claim(shared, input)
        let item = CompleteItem(ref: f.ref(claimed[0]), result: ["ok": true], artifacts: [["uri": "x"]], deliveryProof: nil)
        let other = CompleteItem(ref: f.ref(claimed[1]), result: ["ok": true], artifacts: [["uri": "y"]], deliveryProof: nil)
        let results = try f.engine.completeMany(shared, [item, other, item])
        for r in results { #expect((try? r.get()) != nil) }
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.completed'") == 2)
        #expect(try f.openObligations().isEmpty)
    }

    /// A batch of N completions costs the same round trips as a batch of one more item: the
    /// statement count does not grow with the batch.
    @Test func completeManyRoundTripsDoNotGrowWithTheBatch() throws {
        // no announcements: their NOTIFY would borrow the one connection in the middle of the count
        let f = try EngineFixture(configure: { $0.notifyEnabled = false }, poolSize: 1)
        // no plan refresh (PostgresPool.refreshPlans) in the middle of the measurement
        try f.pool.withConnection { _ = try $0.refreshPlansIfDue(now: .now + .seconds(3600)) }
        for _ in 0..<14 { _ = try f.create() }
        func batch(_ n: Int) throws -> Int {
            var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = n
            let claimed = try f.engine.claim(shared, input)
            #expect(claimed.count == n)
            let items = claimed.map { CompleteItem(ref: f.ref($0), result: ["ok": true], artifacts: [["uri": "x"]], deliveryProof: nil) }
            let before = try f.pool.withConnection { $0.roundTrips }
            for r in try f.engine.completeMany(shared, items) { #expect((try? r.get()) != nil) }
            return try f.pool.withConnection { $0.roundTrips } - before
        }
        _ = try batch(2)  // prepares the statements
        let two = try batch(2), ten = try batch(10)
        #expect(two == ten, "round trips: 2 items \(two), 10 items \(ten)")
        #expect(ten == 1, "one statement, committed on its own")
        #expect(try f.openObligations().isEmpty)
    }

    /// A single failure, requeued or terminal, is one statement committed on its own.
    @Test func aFailureIsOneRoundTrip() throws {
        let f = try EngineFixture(configure: { $0.notifyEnabled = false }, poolSize: 1)
        try f.pool.withConnection { _ = try $0.refreshPlansIfDue(now: .now + .seconds(3600)) }
        for _ in 0..<6 { _ = try f.create { $0.maxAttempts = 2 } }
        func fail(retryable: Bool) throws -> (Int, FailResult) {
            let claimed = try #require(try f.claimOne())
            let before = try f.pool.withConnection { $0.roundTrips }
            let r = try f.engine.fail(shared, f.ref(claimed), error: ["m": "x"], retryable: retryable)
            return (try f.pool.withConnection { $0.roundTrips } - before, r)
        }
        _ = try fail(retryable: true); _ = try fail(retryable: false)  // prepares the statement
        let (requeueTrips, requeued) = try fail(retryable: true)
        let (failTrips, failed) = try fail(retryable: false)
        #expect(requeued.requeued && !failed.requeued)
        #expect(requeueTrips == 1 && failTrips == 1, "round trips: requeue \(requeueTrips), fail \(failTrips)")
    }

    /// Two workers' batches racing over the same leases (a retried request): every task completes
    /// once, with one set of receipts, and neither request fails or deadlocks.
    @Test func concurrentBatchCompletionsOfTheSameLeasesWriteOnce() throws {
        let f = try EngineFixture()
        for _ in 0..<20 { _ = try f.create() }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 20
        let claimed = try f.engine.claim(shared, input)
        let items = claimed.map { CompleteItem(ref: f.ref($0), result: ["ok": true], artifacts: [["uri": "x"]], deliveryProof: nil) }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { k in
            let batch = k % 2 == 0 ? items : items.reversed()
            do {
                for r in try f.engine.completeMany(shared, batch) where (try? r.get()) == nil { failures.withLock { $0 += 1 } }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.completed'") == 20)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.result_ready'") == 20)
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'succeeded'") == 20)
        #expect(try f.openObligations().isEmpty)
    }

    @Test func failManyMixesRequeueAndTerminal() throws {
        let f = try EngineFixture()
        _ = try f.create { $0.maxAttempts = 3 }
        _ = try f.create { $0.maxAttempts = 1 }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 2
        let claimed = try f.engine.claim(shared, input)
        let results = try f.engine.failMany(shared, claimed.map { FailItem(ref: f.ref($0), error: ["message": "x"], retryable: true) })
        let outcomes = try results.map { try $0.get().requeued }
        #expect(Set(outcomes) == [true, false])
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'queued' AND attempt = 1") == 1)
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'failed'") == 1)
    }

    /// The pipelined batch failure: requeues, terminal failures, a repeat of a committed failure,
    /// an expired lease, a mismatched lease, a queued task and the same lease twice — each item
    /// answered on its own, only the passing ones written, every receipt hash canonical.
    @Test func failManyReportsEachItemAndWritesOnlyThePassingOnes() throws {
        let f = try EngineFixture()
        for _ in 0..<6 { _ = try f.create { $0.maxAttempts = 2; $0.retryBackoffSeconds = 5 } }
        let queued = try f.create()
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 6
        let claimed = try f.engine.claim(shared, input)
        #expect(claimed.count == 6)
        // claimed[0]: failed before (the batch item is a client retry: answered, nothing written again)
        _ = try f.engine.fail(shared, f.ref(claimed[0]), error: ["n": 0], retryable: false)
        // claimed[2]: expired lease
        try f.expireLease(claimed[2].leaseID)
        let items = [
            FailItem(ref: f.ref(claimed[0]), error: ["n": 0], retryable: false),
            FailItem(ref: f.ref(claimed[1]), error: ["n": 1], retryable: true),   // requeued
            FailItem(ref: f.ref(claimed[2]), error: ["n": 2], retryable: true),   // expired
            FailItem(ref: f.ref(claimed[3]), error: ["n": 3], retryable: false),  // failed
            FailItem(ref: LeaseRef(taskID: claimed[4].task.taskID, leaseID: claimed[5].leaseID, workerID: "w1"), error: [:], retryable: true),
            FailItem(ref: f.ref(claimed[5]), error: ["n": 5], retryable: true),   // requeued
            FailItem(ref: f.ref(claimed[5]), error: ["n": 5], retryable: true),   // the same again: a repeat
            FailItem(ref: LeaseRef(taskID: queued, leaseID: UUID(), workerID: "w1"), error: [:], retryable: false),
        ]
        let results = try f.engine.failMany(shared, items)
        #expect((try? results[0].get())?.requeued == false)
        #expect((try? results[1].get())?.requeued == true)
        #expect((try? results[1].get())?.nextEligibleAt != nil)
        #expect((try? results[3].get())?.requeued == false)
        #expect((try? results[5].get())?.requeued == true)
        #expect((try? results[6].get())?.requeued == true)
        for i in [2, 4, 7] {
            guard case .failure(let e) = results[i] else { Issue.record("item \(i) should fail"); continue }
            #expect(e.code == .leaseInvalidOrExpired, "item \(i): \(e)")
        }
        #expect(try f.task(claimed[1].task.taskID).status == .queued)
        #expect(try f.task(claimed[1].task.taskID).attempt == 1)
        #expect(try f.task(claimed[3].task.taskID).status == .failed)
        #expect(try f.task(claimed[2].task.taskID).status == .leased, "the expired item changed nothing")
        #expect(try f.task(claimed[4].task.taskID).status == .leased, "the mismatched item changed nothing")
        #expect(try f.task(queued).status == .queued)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.retry_scheduled'") == 2)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.failed'") == 2)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.result_ready'") == 2)
        let ledger = try f.engine.ledger(shared, filter: LedgerFilter(taskID: nil, leaseID: nil, receiptType: nil, taskStatus: nil),
                                         since: nil, limit: 100)
        for r in ledger {
            #expect(r.hash == ReceiptHash.compute(type: r.type, taskID: r.taskID, from: r.from, to: r.to, leaseID: r.leaseID,
                                                  parents: r.parents, body: r.body), "\(r.type)")
        }
        // open: the two requeued, the expired and the mismatched one, and the queued task
        #expect(try f.openObligations().count == 5)
    }

    /// A batch of failures is one round trip however many items it holds.
    @Test func failManyIsOneRoundTrip() throws {
        let f = try EngineFixture(configure: { $0.notifyEnabled = false }, poolSize: 1)
        try f.pool.withConnection { _ = try $0.refreshPlansIfDue(now: .now + .seconds(3600)) }
        for _ in 0..<14 { _ = try f.create { $0.maxAttempts = 2 } }
        func batch(_ n: Int, retryable: Bool) throws -> Int {
            var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = n
            let claimed = try f.engine.claim(shared, input)
            #expect(claimed.count == n)
            let items = claimed.map { FailItem(ref: f.ref($0), error: ["m": "x"], retryable: retryable) }
            let before = try f.pool.withConnection { $0.roundTrips }
            for r in try f.engine.failMany(shared, items) { #expect((try? r.get())?.requeued == retryable) }
            return try f.pool.withConnection { $0.roundTrips } - before
        }
        _ = try batch(2, retryable: false)  // prepares the statement
        let two = try batch(2, retryable: true), ten = try batch(10, retryable: false)
        #expect(two == 1 && ten == 1, "round trips: 2 items \(two), 10 items \(ten)")
    }

    /// Two workers' failure batches racing over the same leases (a retried request), in opposite
    /// orders: every task fails once, with one set of receipts, without errors or deadlocks.
    @Test func concurrentBatchFailuresOfTheSameLeasesWriteOnce() throws {
        let f = try EngineFixture()
        for _ in 0..<20 { _ = try f.create() }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 20
        let claimed = try f.engine.claim(shared, input)
        let items = claimed.map { FailItem(ref: f.ref($0), error: ["m": "x"], retryable: false) }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { k in
            let batch = k % 2 == 0 ? items : items.reversed()
            do {
                for r in try f.engine.failMany(shared, batch) where (try? r.get()) == nil { failures.withLock { $0 += 1 } }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.failed'") == 20)
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'failed'") == 20)
        #expect(try f.openObligations().isEmpty)
    }

    /// An error within a few dozen bytes of the receipt limit sends the batch item by item, where
    /// each stored body is checked exactly: the terminal one that fits is written, the same error
    /// on a requeue (a larger body) is refused with 413, and neither item disturbs the other.
    @Test func failManyNearTheReceiptLimitGoesItemByItem() throws {
        let f = try EngineFixture()
        _ = try f.create { $0.maxAttempts = 1 }
        _ = try f.create { $0.maxAttempts = 3 }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 2
        let claimed = try f.engine.claim(shared, input)
        #expect(claimed.count == 2)
        // canonical {"attempt":0,"error":{"s":"…"},"retryable":true} is n + 47 bytes: exactly at the limit
        let error: JSON = ["s": .string(String(repeating: "x", count: ReceiptLimits.maxBodyBytes - 47))]
        let items = claimed.map { FailItem(ref: f.ref($0), error: error, retryable: true) }
        let results = try f.engine.failMany(shared, items)
        let terminal = claimed.firstIndex { $0.task.maxAttempts == 1 }!, retried = 1 - terminal
        #expect((try? results[terminal].get())?.requeued == false)
        guard case .failure(let e) = results[retried] else { Issue.record("the requeue's body is over the limit"); return }
        #expect(e.code == .receiptTooLarge)
        #expect(try f.task(claimed[terminal].task.taskID).status == .failed)
        #expect(try f.task(claimed[retried].task.taskID).status == .leased)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.failed'") == 1)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.retry_scheduled'") == 0)
    }

    /// The batch completion's plan is made once and kept (generic plans), typically while the
    /// tables are still small. Its leases must still be found by one primary-key probe each: a plan
    /// that walked the tenant's leases instead read thousands of entries per batch once the table
    /// had grown (seen in the cycle benchmark).
    @Test func batchCompletionProbesLeasesByKeyWithAPlanMadeOnAnEmptyTable() throws {
        let f = try EngineFixture(configure: { $0.notifyEnabled = false; $0.coalesceLanes = 0 }, poolSize: 1)
        try f.pool.withConnection { _ = try $0.refreshPlansIfDue(now: .now + .seconds(3600)) }
        func completeTwo() throws {
            for _ in 0..<2 { _ = try f.create() }
            var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 2
            let claimed = try f.engine.claim(shared, input)
            let results = try f.engine.completeMany(shared, claimed.map {
                CompleteItem(ref: f.ref($0), result: [:], artifacts: [["uri": "x"]], deliveryProof: nil)
            })
            #expect(results.count == 2 && results.allSatisfy { (try? $0.get()) != nil })
        }
        try completeTwo()   // the plan is made here, on (nearly) empty tables
        _ = try f.sql("""
            WITH t AS (
                INSERT INTO tasks (tenant_id, task_id, type, created_by_kind, created_by_id, assigned_receipt_id, status)
                SELECT $1, gen_random_uuid(), 'bulk', 'agent', 'alice', gen_random_uuid(), 'leased' FROM generate_series(1, 3000)
                RETURNING tenant_id, task_id)
            INSERT INTO leases (tenant_id, lease_id, task_id, worker_id, expires_at)
            SELECT tenant_id, gen_random_uuid(), task_id, 'bulk', now() + interval '1 hour' FROM t
            """, [tenant])
        func leaseEntriesRead() throws -> Int {
            _ = try f.sql("SELECT pg_stat_force_next_flush()")
            return try f.count("SELECT sum(idx_tup_read)::int FROM pg_stat_user_indexes WHERE relname = 'leases'")
        }
        func taskEntriesRead() throws -> Int {
            _ = try f.sql("SELECT pg_stat_force_next_flush()")
            return try f.count("SELECT sum(idx_tup_read)::int FROM pg_stat_user_indexes WHERE relname = 'tasks'")
        }
        let before = try leaseEntriesRead()
        try completeTwo()
        let read = try leaseEntriesRead() - before
        #expect(read < 100, "the claim, the batch and its checks read \(read) lease index entries; 3,000 leases exist")
        // The tasks are probed by key and updated by ctid, but a plan made on an empty table may
        // probe them through another index that starts with tenant_id (all look equally cheap
        // then): that is why plans are made again as the tables grow
        // (PostgresConnection.refreshPlansIfDue). Once remade, the task side is O(batch) too (the
        // update by ctid alone: without a tenant qual no index competes with the TID scan).
        try f.pool.withConnection { _ = try $0.refreshPlansIfDue(now: .now + .seconds(7200)) }
        let tasksBefore2 = try taskEntriesRead()
        try completeTwo()
        let tasksRead = try taskEntriesRead() - tasksBefore2
        #expect(tasksRead < 100, "with plans made now: \(tasksRead) task index entries read; 3,000 tasks exist")
    }

    /// The array literal itself: every element, however awkward, comes back from PostgreSQL as
    /// sent, NULL stays NULL and the string "NULL" stays a string.
    @Test func arrayLiteralsRoundTripThroughPostgreSQL() throws {
        let f = try EngineFixture()
        let elements: [String?] = ["a\"b", "back\\slash", "\\\"", "{braces,comma}", "NULL", nil, "", "ünï\u{1F600}",
                                   "line\nbreak", " spaced ", "tab\there", "'quote'", "é\u{301}"]
        let rows = try f.sql("SELECT u.e, u.e IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS u(e, n) ORDER BY u.n",
                             [PGArray(elements)])
        #expect(rows.count == elements.count)
        for (row, element) in zip(rows, elements) {
            #expect(row.string(0) == element)
            #expect(row.bool(1) == (element == nil))
        }
        #expect(try f.sql("SELECT cardinality($1::text[])", [PGArray([String]())]).first?.int(0) == 0)
    }

    /// Batch create sends every field as an array literal (one multi-row statement): values that
    /// need quoting in such a literal must arrive intact.
    @Test func createManyStoresAwkwardValuesIntact() throws {
        let f = try EngineFixture()
        let awkward = ["a\"b", "back\\slash", "{braces,comma}", "NULL", "", "ünï\u{1F600}", "line\nbreak", " spaced "]
        let inputs = awkward.enumerated().map { n, text -> CreateTaskInput in
            var input = CreateTaskInput(owner: alice, type: "t\(text)")
            input.payload = ["text": .string(text), "nested": ["list": [.string(text), .null, 1.5]]]
            input.requirements = ["capabilities": [.string(text), "gpu"]]
            input.payloadPointer = text.isEmpty ? nil : "s3://\(text)"
            input.idempotencyKey = "key-\(n)-\(text)"
            input.priority = n - 3
            input.delaySeconds = n == 0 ? 0.25 : 0
            return input
        }
        let created = try f.engine.createTasks(shared, inputs).map { try $0.get() }
        #expect(created.allSatisfy { $0.created })
        for (input, result) in zip(inputs, created) {
            let task = try f.task(result.taskID)
            #expect(task.type == input.type && task.payload == input.payload && task.requirements == input.requirements)
            #expect(task.payloadPointer == input.payloadPointer && task.priority == input.priority)
            let expected = PGArray(input.requirements["capabilities"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            #expect(try f.count("SELECT count(*) FROM tasks WHERE task_id = $1 AND required_capabilities = $2::text[]",
                                [result.taskID, expected]) == 1, "capabilities of \(input.type)")
        }
        let again = try f.engine.createTasks(shared, inputs).map { try $0.get() }
        #expect(zip(again, created).allSatisfy { !$0.created && $0.taskID == $1.taskID }, "every key names its task")
        #expect(try f.count("SELECT count(*) FROM tasks") == awkward.count)
        #expect(try f.count("SELECT count(*) FROM tasks WHERE next_eligible_at > created_at") == 1, "the delay is kept")
    }
}
