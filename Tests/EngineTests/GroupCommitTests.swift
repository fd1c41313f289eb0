import Domain
@testable import Engine
import Foundation
import JSON
import Postgres
import Storage
import Synchronization
import Testing
import TestSupport

/// Group commit (`Coalescer`): concurrent single creates, claims and completions of one tenant go
/// to the database together, one statement or pipeline and one commit per batch. Each call must
/// still get exactly its own answer, fail only for its own reason, and never be written twice.
///
/// To make a batch deterministic, a table lock taken on another connection stalls the first call
/// (which then holds the only lane); the calls made meanwhile queue, and go as ONE batch once the
/// lock is released. One transaction id (`xmin`) on all their rows proves the one commit.
@Suite struct GroupCommitTests {
    /// An executor that runs each accepted work item on a new thread (calling `accepted` first), or
    /// refuses all.
    func threadExecutor(accepts: Bool, accepted: @escaping @Sendable () -> Void) -> @Sendable (@escaping @Sendable () -> Void) -> Bool {
        { work in
            guard accepts else { return false }
            accepted()
            Thread { work() }.start()
            return true
        }
    }

    // MARK: the coalescer on its own

    @Test func queuedCallsGoTogetherAndEachGetsItsOwnAnswer() throws {
        let c = Coalescer<String, Int, Int>(lanes: 1, maxBatch: 100)
        let gate = DispatchSemaphore(value: 0)
        let batches = Mutex<[[Int]]>([])
        let run: @Sendable (String, [Int]) -> [Result<Int, Error>] = { _, items in
            batches.withLock { $0.append(items) }
            if items == [0] { gate.wait() }   // the first batch holds the lane
            return items.map { $0 == 13 ? .failure(EngineError.validation("thirteen")) : .success($0 * 2) }
        }
        let answers = Mutex<[Int: Result<Int, Error>]>([:])
        let group = DispatchGroup()
        func call(_ n: Int) {
            group.enter()
            Thread {
                let r = Result { try c.submit("k", n, run: run) }
                answers.withLock { $0[n] = r }
                group.leave()
            }.start()
        }
        call(0)
        try waitUntil { c.state("k").inFlight == 1 }
        for n in 1...20 { call(n) }
        try waitUntil { c.state("k").waiting == 20 }
        // another key has lanes of its own
        #expect(try c.submit("other", 7, run: run) == 14)
        gate.signal()
        group.wait()
        let all = batches.withLock { $0 }
        #expect(all.count == 3)
        #expect(Set(all[2]) == Set(1...20) && all[2].count == 20, "the 20 queued calls went as one batch")
        for n in 0...20 {
            let r = answers.withLock { $0[n] }
            if n == 13 {
                #expect(throws: EngineError.self) { try r?.get() }
            } else {
                #expect(try r?.get() == n * 2)
            }
        }
        #expect(c.state("k").inFlight == 0 && c.state("k").waiting == 0)
    }

    @Test func batchesNeverExceedTheLimitAndEveryCallIsAnsweredOnce() throws {
        let c = Coalescer<Int, Int, Int>(lanes: 2, maxBatch: 5)
        let sizes = Mutex<[Int]>([])
        let seen = Mutex<[Int]>([])
        concurrently(64) { i in
            let got = try? c.submit(i % 2, i) { _, items in
                sizes.withLock { $0.append(items.count) }
                seen.withLock { $0 += items }
                usleep(2000)
                return items.map { .success($0) }
            }
            #expect(got == i)
        }
        #expect(sizes.withLock { $0.allSatisfy { $0 <= 5 } })
        #expect(seen.withLock { $0.sorted() } == Array(0..<64))
        #expect([c.state(0), c.state(1)].allSatisfy { $0.inFlight == 0 && $0.waiting == 0 })
    }

    /// `enqueue` (the API's path) returns at once when it has to queue, and answers each call
    /// exactly once with its own result, alongside blocking `submit` callers. A batch headed by a
    /// queued `enqueue` call after a blocking leader goes to the executor (the blocked caller is
    /// answered first); if the executor is full, the leader runs it itself.
    @Test(arguments: [true, false])
    func enqueuedCallsMixWithBlockingOnes(executorAccepts: Bool) throws {
        let c = Coalescer<String, Int, Int>(lanes: 1, maxBatch: 100)
        let gate = DispatchSemaphore(value: 0)
        let run: @Sendable (String, [Int]) -> [Result<Int, Error>] = { _, items in
            if items == [0] { gate.wait() }
            return items.map { .success($0 * 2) }
        }
        let executed = Atomic<Int>(0)
        let executor = threadExecutor(accepts: executorAccepts) { executed.add(1, ordering: .relaxed) }
        let answers = Mutex<[Int: [Int]]>([:])
        let group = DispatchGroup()
        group.enter()
        Thread { _ = try? c.submit("k", 0, run: run); group.leave() }.start()   // the blocking leader
        try waitUntil { c.state("k").inFlight == 1 }
        for n in 1...10 {
            group.enter()
            c.enqueue("k", n, executor: executor, run: run) { r in
                answers.withLock { $0[n, default: []].append((try? r.get()) ?? -1) }
                group.leave()
            }
        }
        #expect(c.state("k").waiting == 10, "enqueue returned without waiting")
        for n in 11...15 {
            group.enter()
            Thread { let r = try? c.submit("k", n, run: run); answers.withLock { $0[n, default: []].append(r ?? -1) }; group.leave() }.start()
        }
        try waitUntil { c.state("k").waiting == 15 }
        gate.signal()
        group.wait()
        for n in 1...15 { #expect(answers.withLock { $0[n] } == [n * 2], "call \(n)") }
        #expect(executed.load(ordering: .relaxed) == (executorAccepts ? 1 : 0))
        #expect(c.counts.batches == 1 && c.counts.items == 15)
        #expect(c.state("k").inFlight == 0 && c.state("k").waiting == 0)
    }

    /// A thread that led a batch for an `enqueue` caller is free once it has answered: it runs the
    /// batch that queued meanwhile itself, without the executor.
    @Test func anEnqueueLeaderRunsTheNextBatchItself() throws {
        let c = Coalescer<String, Int, Int>(lanes: 1, maxBatch: 100)
        let gate = DispatchSemaphore(value: 0)
        let threads = Mutex<Set<String>>([])
        let run: @Sendable (String, [Int]) -> [Result<Int, Error>] = { _, items in
            if items == [0] { gate.wait() }
            threads.withLock { _ = $0.insert("\(Unmanaged.passUnretained(Thread.current).toOpaque())") }
            return items.map { .success($0 + 1) }
        }
        let executor: @Sendable (@escaping @Sendable () -> Void) -> Bool = { _ in Issue.record("executor used"); return false }
        let answered = Atomic<Int>(0)
        let group = DispatchGroup()
        group.enter()
        Thread {
            c.enqueue("k", 0, executor: executor, run: run) { r in #expect((try? r.get()) == 1); answered.add(1, ordering: .relaxed) }
            group.leave()
        }.start()
        try waitUntil { c.state("k").inFlight == 1 }
        for n in 1...8 {
            c.enqueue("k", n, executor: executor, run: run) { r in #expect((try? r.get()) == n + 1); answered.add(1, ordering: .relaxed) }
        }
        gate.signal()
        group.wait()
        #expect(answered.load(ordering: .relaxed) == 9)
        #expect(threads.withLock { $0.count } == 1, "both batches ran on the first caller's thread")
    }

    /// An I/O thread (`callerMayBlock: false`) never runs a batch: a call that finds the lane free
    /// hands its batch to the executor, a call that queues only queues, and the executor's thread
    /// leads the batches that follow. When the executor refuses, the batch is answered with the
    /// refusal (the run is never called) and the lane is free again afterwards.
    @Test(arguments: [true, false])
    func anIOThreadNeverRunsABatch(executorAccepts: Bool) throws {
        struct Refused: Error {}
        let c = Coalescer<String, Int, Int>(lanes: 1, maxBatch: 100, refusal: Refused())
        let gate = DispatchSemaphore(value: 0)
        let ioThread = pthread_self()
        let batches = Mutex<[[Int]]>([])
        let run: @Sendable (String, [Int]) -> [Result<Int, Error>] = { _, items in
            #expect(pthread_equal(pthread_self(), ioThread) == 0, "a batch ran on the I/O thread")
            batches.withLock { $0.append(items) }
            if items == [0] { gate.wait() }
            return items.map { .success($0 * 2) }
        }
        let executed = Atomic<Int>(0)
        let executor = threadExecutor(accepts: executorAccepts) { executed.add(1, ordering: .relaxed) }
        let answers = Mutex<[Int: Result<Int, Error>]>([:])
        let group = DispatchGroup()
        for n in 0...6 {
            group.enter()
            c.enqueue("k", n, executor: executor, callerMayBlock: false, run: run) { r in
                answers.withLock { $0[n] = r }
                group.leave()
            }
            if n == 0 && executorAccepts { try waitUntil { batches.withLock { $0.count } == 1 } }
        }
        if executorAccepts {
            #expect(c.state("k").waiting == 6, "the calls behind the running batch queued and returned")
            gate.signal()
        }
        group.wait()
        for n in 0...6 {
            let r = answers.withLock { $0[n] }
            if executorAccepts {
                #expect(try r?.get() == n * 2, "call \(n)")
            } else {
                #expect(throws: Refused.self) { try r?.get() }
            }
        }
        if executorAccepts {
            #expect(batches.withLock { $0 } == [[0], Array(1...6)])
            #expect(executed.load(ordering: .relaxed) == 1, "the executor's thread led the queued batch itself")
        } else {
            #expect(batches.withLock { $0 }.isEmpty, "nothing ran")
        }
        #expect(c.state("k").inFlight == 0 && c.state("k").waiting == 0)
    }

    // MARK: through the engine, against PostgreSQL

    @Test func queuedCreatesCommitTogetherAndARefusedOneFailsAlone() throws {
        let f = try EngineFixture(configure: { $0.coalesceLanes = 1; $0.notifyEnabled = false }, poolSize: 4)
        let creates = try #require(f.engine.creates)
        @Sendable func input(_ n: Int, _ edit: (inout CreateTaskInput) -> Void = { _ in }) -> CreateTaskInput {
            var i = CreateTaskInput(owner: alice, type: "gc"); i.payload = ["n": .int(Int64(n))]; edit(&i); return i
        }
        // round 1: eight creates and two with one idempotency key queue behind a stalled one
        let results = try whileLocked(f, "tasks", lead: { _ = try f.engine.createTask(shared, input(0)) },
                                      waitFor: { creates.state(tenant) }, count: 10) { i in
            try f.engine.createTask(shared, input(i) { if i >= 9 { $0.idempotencyKey = "same" } })
        }
        let created = try results.map { try $0.get() }
        #expect(Set(created.map(\.taskID)).count == 9, "the repeated key answered the one task")
        #expect(created.filter { !$0.created }.count == 1)
        #expect(try f.count("SELECT count(*) FROM tasks") == 10)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.assigned'") == 10)
        #expect(try f.openObligations().count == 10)
        let ids = PGArray(created.map(\.taskID.lowercasedString))
        #expect(try f.count("SELECT count(DISTINCT xmin::text) FROM tasks WHERE task_id = ANY ($1::uuid[])", [ids]) == 1,
                "one transaction for the batch")
        #expect(f.engine.metricsSnapshot["group_commit_creates_batches"] == 1 && f.engine.metricsSnapshot["group_commit_creates_calls"] == 10)

        // round 2: one create the database refuses (NUL in its payload) among good ones
        let mixed = try whileLocked(f, "tasks", lead: { _ = try f.engine.createTask(shared, input(0)) },
                                    waitFor: { creates.state(tenant) }, count: 6) { i in
            try f.engine.createTask(shared, input(i) { if i == 3 { $0.payload = ["bad": "a\u{0000}b"] } })
        }
        for (i, r) in mixed.enumerated() {
            if i == 2 {
                #expect(throws: EngineError.self) { try r.get() }
            } else {
                #expect((try? r.get().created) == true, "create \(i + 1)")
            }
        }
        #expect(try f.count("SELECT count(*) FROM tasks") == 10 + 1 + 5)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.assigned'") == 16)
    }

    @Test func queuedClaimsShareOneStatementAndNeverShareATask() throws {
        let f = try EngineFixture(configure: { $0.coalesceLanes = 1; $0.notifyEnabled = false }, poolSize: 4)
        let claims = try #require(f.engine.claims)
        for _ in 0..<10 { _ = try f.create("gc") }
        @Sendable func input(_ worker: String, ttl: Int? = nil) -> ClaimInput {
            var i = ClaimInput(worker: Principal(kind: .worker, id: worker, instanceID: worker == "w-3" ? nil : "inst-\(worker)"))
            i.acceptTypes = ["gc"]; i.leaseTTLSeconds = ttl
            return i
        }
        let key = Engine.ClaimKey(tenant: tenant, capabilities: [], acceptTypes: ["gc"])
        let firstClaim = Mutex<[ClaimedTask]>([])
        // 12 workers (one with its own lease TTL) queue for the 9 tasks left
        let results = try whileLocked(f, "leases", lead: { let got = try f.engine.claim(shared, input("w-0")); firstClaim.withLock { $0 = got } },
                                      waitFor: { claims.state(key) }, count: 12) { i in
            try f.engine.claim(shared, input("w-\(i)", ttl: i == 5 ? 60 : nil))
        }
        let first = firstClaim.withLock { $0 }
        #expect(first.count == 1)
        let got = try results.map { try $0.get() }
        let all = got.flatMap { $0 } + first
        #expect(all.count == 10 && Set(all.map(\.task.taskID)).count == 10, "every task leased once")
        #expect(got.allSatisfy { $0.count <= 1 } && got.filter(\.isEmpty).count == 3, "9 tasks for 12 single claims")
        // each lease and each task.accepted names the worker that got it, with a canonical hash
        for (i, tasks) in got.enumerated() {
            for t in tasks {
                let row = try #require(try f.sql("SELECT worker_id, worker_instance_id FROM leases WHERE lease_id = $1", [t.leaseID]).first)
                #expect(row.string(0) == "w-\(i + 1)" && row.string(1) == (i + 1 == 3 ? nil : "inst-w-\(i + 1)"))
                let expected = i + 1 == 5 ? 60.0 : 300.0
                #expect(abs(t.expiresAt.timeIntervalSinceNow - expected) < 30)
                let accepted = try #require(try f.engine.ledger(shared, filter: LedgerFilter(taskID: t.task.taskID, leaseID: nil, receiptType: "task.accepted", taskStatus: nil),
                                                                since: nil, limit: 5).first)
                #expect(accepted.from.id == "w-\(i + 1)" && accepted.leaseID == t.leaseID)
                #expect(accepted.hash == ReceiptHash.compute(type: accepted.type, taskID: accepted.taskID, from: accepted.from, to: accepted.to,
                                                             leaseID: accepted.leaseID, parents: accepted.parents, body: accepted.body))
            }
        }
        let leases = PGArray(got.flatMap { $0 }.map(\.leaseID.lowercasedString))
        #expect(try f.count("SELECT count(DISTINCT xmin::text) FROM leases WHERE lease_id = ANY ($1::uuid[])", [leases]) == 1)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.accepted'") == 10)
        #expect(try f.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 10)
    }

    /// A claim for several tasks is a batch already: it never queues behind other claims.
    @Test func aMultiTaskClaimIsNotQueued() throws {
        let f = try EngineFixture(configure: { $0.coalesceLanes = 1; $0.notifyEnabled = false }, poolSize: 4)
        let claims = try #require(f.engine.claims)
        for _ in 0..<3 { _ = try f.create("gc") }
        let key = Engine.ClaimKey(tenant: tenant, capabilities: [], acceptTypes: ["gc"])
        let blocker = try PostgresConnectionFactory.connect(f.conninfo)
        try blocker.execute("BEGIN; LOCK TABLE leases IN SHARE MODE")
        let done = DispatchSemaphore(value: 0)
        Thread { _ = try? f.claimOne(worker: "single") { $0.acceptTypes = ["gc"] }; done.signal() }.start()
        try waitUntil { claims.state(key).inFlight == 1 }
        let multi = DispatchSemaphore(value: 0)
        let got = Mutex<Int>(-1)
        Thread {
            let n = (try? f.engine.claim(shared, { var i = ClaimInput(worker: Principal(kind: .worker, id: "multi")); i.acceptTypes = ["gc"]; i.maxTasks = 2; return i }()).count) ?? -2
            got.withLock { $0 = n }
            multi.signal()
        }.start()
        // it goes straight to the database (and waits on the lock there), not into the queue
        usleep(200_000)
        #expect(claims.state(key).waiting == 0)
        try blocker.execute("COMMIT")
        done.wait(); multi.wait()
        #expect(got.withLock { $0 } == 2)
    }

    @Test func queuedCompletionsCommitTogetherAndAStaleOneFailsAlone() throws {
        let f = try EngineFixture(configure: { $0.coalesceLanes = 1; $0.notifyEnabled = false }, poolSize: 4)
        let completions = try #require(f.engine.completions)
        for _ in 0..<8 { _ = try f.create("gc") }
        let claimed = try (0..<8).map { try #require(try f.claimOne(worker: "w\($0)")) }
        @Sendable func done(_ i: Int, worker: String? = nil) throws {
            try f.engine.complete(shared, f.ref(claimed[i], worker: worker ?? "w\(i)"), result: ["i": .int(Int64(i))],
                                  artifacts: [["uri": "x"]], deliveryProof: nil)
        }
        // behind a stalled completion of task 0: six good ones, one by the wrong worker, and a
        // retry of task 0's completion (it commits first, so the retry is a repeat: success)
        let results = try whileLocked(f, "leases", lead: { try done(0) }, waitFor: { completions.state(tenant) }, count: 8) { i in
            switch i {
            case 7: try done(7, worker: "intruder")
            case 8: try done(0)
            default: try done(i)
            }
        }
        for (k, r) in results.enumerated() {
            if k + 1 == 7 {
                #expect(expectEngineError(.leaseInvalidOrExpired) { try r.get() })
            } else {
                #expect((try? r.get()) != nil, "completion \(k + 1)")
            }
        }
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'succeeded'") == 7)
        #expect(try f.task(claimed[7].task.taskID).status == .leased, "the stale completion changed nothing")
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.completed'") == 7, "no receipt twice")
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.result_ready'") == 7)
        #expect(try f.openObligations().count == 1)
        let tasks = PGArray((1...6).map { claimed[$0].task.taskID.lowercasedString })
        #expect(try f.count("SELECT count(DISTINCT xmin::text) FROM tasks WHERE task_id = ANY ($1::uuid[])", [tasks]) == 1)
    }

    // MARK: helpers

    /// Stalls `lead` behind a lock on `table` (taken on another connection) until `count` more calls
    /// queue behind it, then releases the lock; returns the calls' results (call i is `body(i)`,
    /// i in 1...count).
    private func whileLocked<T: Sendable>(_ f: EngineFixture, _ table: String, lead: @escaping @Sendable () throws -> Void,
                                          waitFor state: @escaping () -> (inFlight: Int, waiting: Int), count: Int,
                                          _ body: @escaping @Sendable (Int) throws -> T) throws -> [Result<T, Error>] {
        let blocker = try PostgresConnectionFactory.connect(f.conninfo)
        try blocker.execute("BEGIN; LOCK TABLE \(table) IN SHARE MODE")
        let group = DispatchGroup()
        let leadError = Mutex<String?>(nil)
        group.enter()
        Thread { do { try lead() } catch { leadError.withLock { $0 = "\(error)" } }; group.leave() }.start()
        try waitUntil { state().inFlight == 1 }
        let results = Mutex<[Int: Result<T, Error>]>([:])
        for i in 1...count {
            group.enter()
            Thread { let r = Result { try body(i) }; results.withLock { $0[i] = r }; group.leave() }.start()
        }
        try waitUntil { state().waiting == count }
        try blocker.execute("COMMIT")
        group.wait()
        #expect(leadError.withLock { $0 } == nil)
        return results.withLock { r in (1...count).map { r[$0]! } }
    }
}

private func waitUntil(_ what: String = "condition", timeout: Double = 10, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else { throw EngineError(.internal, "timed out waiting for \(what)") }
        usleep(2000)
    }
}
