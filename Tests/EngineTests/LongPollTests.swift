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
        #expect(outcome.wait(0.1) == nil, "no completion for a cancelled waiter")
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'queued'") == 1, "the task was not leased to a gone client")
        #expect(f.engine.waiters.count == 0)
    }
}
