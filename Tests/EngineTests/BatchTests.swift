import Domain
import Engine
import Foundation
import JSON
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
}
