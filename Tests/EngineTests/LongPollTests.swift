import Domain
import Engine
import Foundation
import JSON
import Postgres
import Storage
import Synchronization
import Testing
import TestSupport

/// Long-poll claims (issue 6): parked waiters are woken by LISTEN/NOTIFY or the periodic re-check.
@Suite struct LongPollTests {
    let executor: Engine.BlockingExecutor = { work in DispatchQueue.global().async(execute: work); return true }

    final class Outcome: Sendable {
        let result = Mutex<Result<[ClaimedTask], Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        func set(_ r: Result<[ClaimedTask], Error>) { result.withLock { $0 = r }; done.signal() }
        func wait(_ seconds: Double) -> Result<[ClaimedTask], Error>? {
            _ = done.wait(timeout: .now() + seconds)
            return result.withLock { $0 }
        }
    }

    func park(_ f: EngineFixture, wait: Double, types: [String]? = nil, cancelled: @escaping @Sendable () -> Bool = { false }) -> Outcome {
        let outcome = Outcome()
        var input = ClaimInput(worker: Principal(kind: .worker, id: "waiter"))
        input.acceptTypes = types
        let claim = input
        DispatchQueue.global().async {
            f.engine.claimWaiting(shared, claim, waitSeconds: wait, executor: executor, isCancelled: cancelled) { outcome.set($0) }
        }
        return outcome
    }

    /// Another server instance over the same database (its own pool and waiters): its creates can
    /// reach this instance's parked claims only through PostgreSQL (NOTIFY or the re-check).
    func otherInstance(_ f: EngineFixture, notify: Bool = true) -> (Engine, PostgresPool) {
        let pool = TenantScope.makePool(conninfo: f.conninfo, size: 2, logger: TestPostgres.logger)
        var config = EngineConfiguration()
        config.notifyEnabled = notify
        return (Engine(pool: pool, configuration: config, instanceID: "other-instance", logger: TestPostgres.logger), pool)
    }

    func create(on engine: Engine, _ type: String = "echo") throws -> UUID {
        try engine.createTask(shared, CreateTaskInput(owner: alice, type: type)).taskID
    }

    @Test func notificationFromAnotherInstanceWakesAParkedClaim() throws {
        let f = try EngineFixture { $0.claimRecheckSeconds = 60 }   // only NOTIFY can wake it in time
        let (other, pool) = otherInstance(f)
        defer { pool.close() }
        let listener = TaskNotifications(conninfo: f.conninfo, waiters: f.engine.waiters, logger: TestPostgres.logger)
        listener.start()
        defer { listener.stop() }
        Thread.sleep(forTimeInterval: 0.5)  // let the listener connect
        let outcome = park(f, wait: 20)
        Thread.sleep(forTimeInterval: 0.3)
        let started = Date()
        let id = try create(on: other)
        let claimed = try #require(try outcome.wait(10)?.get())
        #expect(claimed.map(\.task.taskID) == [id])
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// Creates are announced to other instances after they commit, coalesced: a burst of creates
    /// of one type is one notification, and a listener hears it.
    @Test func announcementsAreCoalescedAndHeard() throws {
        let f = try EngineFixture()
        let listener = try PostgresConnection.connect(f.conninfo, logger: TestPostgres.logger)
        defer { listener.close() }
        try listener.listen(TaskNotifications.channel)
        let created = try f.engine.createTasks(shared, (0..<20).map { _ in CreateTaskInput(owner: alice, type: "burst") })
        #expect(created.allSatisfy { (try? $0.get()) != nil })
        var heard: [String] = []
        let deadline = Date().addingTimeInterval(5)
        while heard.isEmpty && Date() < deadline { heard += try listener.waitForNotifications(timeout: 0.5).map(\.payload) }
        heard += try listener.waitForNotifications(timeout: 0.3).map(\.payload)
        #expect(heard == ["\(tenant.lowercasedString) burst"], "\(heard)")
        _ = try f.create { $0.delaySeconds = 30 }  // not claimable yet: not announced
        #expect(try listener.waitForNotifications(timeout: 0.5).isEmpty)
    }

    /// A create on the same instance wakes its parked claims directly (no listener at all here, and
    /// no re-check for a minute).
    @Test func createOnThisInstanceWakesAParkedClaimDirectly() throws {
        let f = try EngineFixture { $0.claimRecheckSeconds = 60 }
        let outcome = park(f, wait: 20)
        Thread.sleep(forTimeInterval: 0.3)
        let started = Date()
        let id = try f.create()
        let claimed = try #require(try outcome.wait(10)?.get())
        #expect(claimed.map(\.task.taskID) == [id])
        #expect(Date().timeIntervalSince(started) < 5)
        // a batch create wakes it too
        let again = park(f, wait: 20)
        Thread.sleep(forTimeInterval: 0.3)
        let batch = try f.engine.createTasks(shared, [CreateTaskInput(owner: alice, type: "echo")]).map { try $0.get().taskID }
        #expect(try again.wait(10)?.get().map(\.task.taskID) == batch)
        // a delayed task does not wake it (it is not claimable yet)
        let delayed = park(f, wait: 1)
        Thread.sleep(forTimeInterval: 0.3)
        _ = try f.create { $0.delaySeconds = 30 }
        #expect(try delayed.wait(10)?.get().isEmpty == true)
    }

    @Test func timeoutReturnsAnEmptyList() throws {
        let f = try EngineFixture()
        let started = Date()
        let claimed = try #require(try park(f, wait: 1).wait(10)?.get())
        #expect(claimed.isEmpty)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.9 && elapsed < 5)
    }

    @Test func pollModeFindsWorkWithoutNotifications() throws {
        let f = try EngineFixture { $0.notifyEnabled = false; $0.claimRecheckSeconds = 0.2 }
        let (other, pool) = otherInstance(f, notify: false)
        defer { pool.close() }
        let outcome = park(f, wait: 20)
        Thread.sleep(forTimeInterval: 0.3)
        let id = try create(on: other)   // only the periodic re-check can find it
        #expect(try outcome.wait(10)?.get().map(\.task.taskID) == [id])
    }

    @Test func waiterOnlyWakesForAcceptedTypes() throws {
        let f = try EngineFixture { $0.notifyEnabled = false; $0.claimRecheckSeconds = 0.2 }
        let outcome = park(f, wait: 1.5, types: ["wanted"])
        Thread.sleep(forTimeInterval: 0.3)
        _ = try f.create("unwanted")
        #expect(try outcome.wait(10)?.get().isEmpty == true)
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'queued'") == 1)
    }

    @Test func departedClientClaimsNothing() throws {
        let f = try EngineFixture { $0.notifyEnabled = false; $0.claimRecheckSeconds = 0.2 }
        let gone = Atomic<Bool>(false)
        let outcome = park(f, wait: 5, cancelled: { gone.load(ordering: .relaxed) })
        Thread.sleep(forTimeInterval: 0.3)
        gone.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.3)
        _ = try f.create()
        Thread.sleep(forTimeInterval: 1)
        // ended at once with nothing claimed, so its HTTP exchange finishes
        #expect(try outcome.wait(0.1)?.get().isEmpty == true, "a cancelled waiter is answered with nothing")
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'queued'") == 1, "the task was not leased to a gone client")
        #expect(f.engine.waiters.count == 0)
    }

    // MARK: hand-off: a create claims for a parked waiter in its own transaction

    func waitUntilParked(_ f: EngineFixture, _ n: Int) {
        let deadline = Date().addingTimeInterval(10)
        while f.engine.waiters.count < n && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// One round trip and one commit carry both the create and the waiting worker's claim; the
    /// receipts are exactly what a claim of its own would have written.
    @Test func createHandsItsTaskToAParkedClaimInOneRoundTrip() throws {
        let f = try EngineFixture(configure: { $0.notifyEnabled = false; $0.claimRecheckSeconds = 60 }, poolSize: 1)
        // warm: statements prepared, plans settled
        _ = try f.create()
        _ = try f.engine.claim(shared, ClaimInput(worker: Principal(kind: .worker, id: "warm")))
        try f.pool.withConnection { _ = try $0.refreshPlansIfDue(now: .now + .seconds(3600)) }
        let outcome = park(f, wait: 20)
        waitUntilParked(f, 1)
        let before = try f.pool.withConnection { $0.roundTrips }
        let id = try f.create()
        let roundTrips = try f.pool.withConnection { $0.roundTrips } - before
        #expect(roundTrips == 1, "create + hand-off claim: \(roundTrips) round trips")
        let claimed = try #require(try outcome.wait(10)?.get())
        #expect(claimed.map(\.task.taskID) == [id])
        #expect(f.engine.waiters.count == 0)
        let task = try f.task(id)
        #expect(task.status == .leased)
        #expect(try f.count("SELECT count(*) FROM leases WHERE task_id = $1 AND worker_id = 'waiter' AND released_at IS NULL", [id]) == 1)
        // one transaction: the lease was taken at the task's creation time (now() is per transaction)
        #expect(try f.count("SELECT count(*) FROM leases l JOIN tasks t USING (tenant_id, task_id) WHERE l.acquired_at = t.created_at") == 1)
        let all = try f.engine.ledger(shared, filter: LedgerFilter(taskID: id, leaseID: nil, receiptType: nil, taskStatus: nil),
                                      since: nil, limit: 20)
        #expect(all.map(\.type) == ["task.assigned", "task.accepted"])
        if all.count == 2 {
            #expect(all[1].parents == [all[0].receiptID] && all[1].leaseID == claimed[0].leaseID)
            #expect(all[1].from == Principal(kind: .worker, id: "waiter") && all[1].to == alice)
        }
        for r in all {
            #expect(r.hash == ReceiptHash.compute(type: r.type, taskID: r.taskID, from: r.from, to: r.to, leaseID: r.leaseID,
                                                  parents: r.parents, body: r.body), "\(r.type)")
        }
        // the worker finishes it like any claimed task
        try f.engine.complete(shared, LeaseRef(taskID: id, leaseID: claimed[0].leaseID, workerID: "waiter"),
                              result: ["ok": true], artifacts: [["uri": "x"]], deliveryProof: nil)
        #expect(try f.task(id).status == .succeeded)
    }

    /// A waiter that cannot take the new task (it lacks a required capability) is not answered
    /// empty: it goes on waiting, and takes the next task that suits it.
    @Test func aWaiterTheTaskDoesNotSuitGoesOnWaiting() throws {
        let f = try EngineFixture { $0.notifyEnabled = false; $0.claimRecheckSeconds = 60 }
        let outcome = park(f, wait: 20)
        waitUntilParked(f, 1)
        let gpu = try f.create { $0.requirements = ["capabilities": ["gpu"]] }
        #expect(outcome.wait(0.5) == nil, "answered although it got nothing")
        waitUntilParked(f, 1)
        #expect(f.engine.waiters.count == 1)
        #expect(try f.task(gpu).status == .queued)
        let plain = try f.create()
        #expect(try outcome.wait(10)?.get().map(\.task.taskID) == [plain])
        #expect(try f.task(gpu).status == .queued)
    }

    /// A create the database refuses leaves the waiter parked (it was taken out to be handed the
    /// task) and writes nothing.
    @Test func aRefusedCreateNeverStrandsTheWaiter() throws {
        let f = try EngineFixture { $0.notifyEnabled = false; $0.claimRecheckSeconds = 60 }
        let outcome = park(f, wait: 20)
        waitUntilParked(f, 1)
        #expect(expectEngineError(.validation) { _ = try f.create { $0.payload = ["text": "a\u{0}b"] } })
        #expect(try f.count("SELECT count(*) FROM tasks") == 0)
        #expect(try f.count("SELECT count(*) FROM receipts") == 0)
        #expect(outcome.wait(0.3) == nil)
        waitUntilParked(f, 1)
        let id = try f.create()
        #expect(try outcome.wait(10)?.get().map(\.task.taskID) == [id])
    }

    /// Many creates racing many parked waiters: no task is leased twice, every waiter gets one
    /// task, and every lease has exactly one task.accepted receipt.
    @Test func concurrentCreatesAndWaitersNeverShareATask() throws {
        let f = try EngineFixture { $0.claimRecheckSeconds = 60 }
        let waiterCount = 8, taskCount = 24
        let outcomes = (0..<waiterCount).map { _ in park(f, wait: 20) }
        waitUntilParked(f, waiterCount)
        DispatchQueue.concurrentPerform(iterations: taskCount) { _ in _ = try? f.create() }
        var ids: [UUID] = []
        for outcome in outcomes {
            let claimed = try #require(try outcome.wait(10)?.get())
            #expect(claimed.count == 1)
            ids += claimed.map(\.task.taskID)
        }
        #expect(Set(ids).count == waiterCount, "a task was handed to two waiters")
        #expect(try f.count("SELECT count(*) FROM tasks") == taskCount)
        #expect(try f.count("SELECT count(*) FROM leases") == waiterCount)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.accepted'") == waiterCount)
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'queued'") == taskCount - waiterCount)
        #expect(f.engine.waiters.count == 0)
    }
}
