import Domain
import Engine
import Foundation
import JSON
import Synchronization
import Testing
import TestSupport

@Suite struct ConcurrencyTests {
    /// 50 workers racing over 500 tasks: every task is leased exactly once, nothing is lost.
    @Test func fiftyClaimersFiveHundredTasksEachLeasedOnce() throws {
        let f = try EngineFixture(poolSize: 24)
        for _ in 0..<500 { _ = try f.create() }
        let claimed = Mutex<[UUID]>([])
        let failures = Atomic<Int>(0)
        concurrently(50) { i in
            while true {
                do {
                    var input = ClaimInput(worker: Principal(kind: .worker, id: "w\(i)"))
                    input.maxTasks = 3
                    let got = try f.engine.claim(shared, input)
                    if got.isEmpty { return }
                    claimed.withLock { $0 += got.map(\.task.taskID) }
                } catch {
                    failures.add(1, ordering: .relaxed)
                    return
                }
            }
        }
        let ids = claimed.withLock { $0 }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(ids.count == 500)
        #expect(Set(ids).count == 500)
        #expect(try f.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 500)
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'leased'") == 500)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.accepted'") == 500)
    }

    /// The same idempotency key created 20 times at once: one task, one task.assigned.
    @Test func concurrentIdempotentCreates() throws {
        let f = try EngineFixture(poolSize: 20)
        let ids = Mutex<[UUID]>([])
        let created = Atomic<Int>(0)
        concurrently(20) { _ in
            var input = CreateTaskInput(owner: alice, type: "echo")
            input.idempotencyKey = "same-key"
            if let r = try? f.engine.createTask(shared, input) {
                ids.withLock { $0.append(r.taskID) }
                if r.created { created.add(1, ordering: .relaxed) }
            }
        }
        let all = ids.withLock { $0 }
        #expect(all.count == 20)
        #expect(Set(all).count == 1)
        #expect(created.load(ordering: .relaxed) == 1)
        #expect(try f.count("SELECT count(*) FROM tasks") == 1)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'task.assigned'") == 1)
    }

    /// Two sweepers at once over 100 expired leases: each task requeued once, one lease.expired each.
    @Test func concurrentSweepsRequeueEachTaskOnce() throws {
        let f = try EngineFixture(configure: { $0.sweepBatchSize = 7 }, poolSize: 8)
        for _ in 0..<100 { _ = try f.create() }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w"))
        input.maxTasks = 10
        for _ in 0..<10 { _ = try f.engine.claim(shared, input) }
        _ = try f.sql("UPDATE leases SET expires_at = now() - interval '1 second'")
        let total = Atomic<Int>(0)
        concurrently(4) { _ in total.add((try? f.engine.sweepExpiredLeases()) ?? 0, ordering: .relaxed) }
        #expect(total.load(ordering: .relaxed) == 100)
        #expect(try f.count("SELECT count(*) FROM tasks WHERE status = 'queued' AND attempt = 0") == 100)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE receipt_type = 'lease.expired'") == 100)
        #expect(try f.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 0)
    }

    /// Completing and canceling the same task at once: exactly one wins, the task ends terminal once,
    /// and exactly one terminator discharges the obligation.
    @Test func completeRacesCancel() throws {
        let f = try EngineFixture(poolSize: 8)
        for _ in 0..<20 {
            let id = try f.create()
            let c = try #require(try f.claimOne())
            concurrently(2) { i in
                if i == 0 {
                    try? f.engine.complete(shared, f.ref(c), result: ["ok": true], artifacts: [["uri": "x"]], deliveryProof: nil)
                } else {
                    _ = try? f.engine.cancelTask(shared, taskID: id, by: alice, reason: "race")
                }
            }
            let t = try f.task(id)
            #expect(t.status == .succeeded || t.status == .canceled)
            let terminators = try f.count("SELECT count(*) FROM receipts WHERE task_id = $1 AND receipt_type IN ('task.completed','task.canceled')", [id])
            #expect(terminators == 1)
        }
        #expect(try f.openObligations().isEmpty)
    }
}
