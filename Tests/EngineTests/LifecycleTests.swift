import Domain
import Engine
import Foundation
import JSON
import Storage
import Testing
import TestSupport

@Suite struct LifecycleTests {
    @Test func createClaimStartProgressComplete() throws {
        let f = try EngineFixture()
        let id = try f.create { $0.principalAI = "model-x"; $0.priority = 5 }
        #expect(try f.task(id).status == .queued)
        let c = try #require(try f.claimOne())
        #expect(c.task.taskID == id)
        #expect(try f.task(id).status == .leased)
        let started = try f.engine.startTask(shared, f.ref(c))
        #expect(try f.task(id).status == .running)
        #expect(try f.engine.startTask(shared, f.ref(c)) == started, "start is idempotent")
        try f.engine.reportProgress(shared, f.ref(c), progress: ["pct": 50])
        #expect(try f.task(id).progress == ["pct": 50])
        try f.engine.complete(shared, f.ref(c), result: ["v": 1], artifacts: [["uri": "s3://b/k"]], deliveryProof: nil)
        let t = try f.task(id)
        #expect(t.status == .succeeded)
        #expect(t.result == ["v": 1])
        #expect(t.completedAt != nil)
        #expect(try f.receiptTypes(task: id) == ["task.assigned", "task.accepted", "task.started", "task.progress", "task.completed", "task.result_ready"])
        #expect(try f.openObligations().isEmpty)
        #expect(try f.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 0)
    }

    @Test func completedReceiptNamesTheAssignedObligation() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        try f.engine.complete(shared, f.ref(c), result: [:], artifacts: ["uri": "x"], deliveryProof: nil)
        let receipts = try f.engine.ledger(shared, filter: LedgerFilter(taskID: id, leaseID: nil, receiptType: nil, taskStatus: nil), since: nil, limit: 50)
        let assigned = try #require(receipts.first { $0.type == "task.assigned" })
        let completed = try #require(receipts.first { $0.type == "task.completed" })
        #expect(completed.parents == [assigned.receiptID])
        #expect(assigned.from == .asyncgate)
        #expect(assigned.to == alice)
    }

    @Test func retriedCompleteIsIdempotent() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        try f.engine.complete(shared, f.ref(c), result: ["v": 1], artifacts: [["uri": "x"]], deliveryProof: nil)
        try f.engine.complete(shared, f.ref(c), result: ["v": 1], artifacts: [["uri": "x"]], deliveryProof: nil)
        #expect(try f.count("SELECT count(*) FROM receipts WHERE task_id = $1 AND receipt_type = 'task.completed'", [id]) == 1)
        // a different worker replaying the lease id is still refused
        #expect(expectEngineError(.leaseInvalidOrExpired) {
            try f.engine.complete(shared, f.ref(c, worker: "w2"), result: [:], artifacts: nil, deliveryProof: nil)
        })
    }

    /// Text PostgreSQL cannot store (U+0000) reaching the engine by any path is the caller's
    /// VALIDATION_ERROR, not an internal error, and writes nothing.
    @Test func nulInTextIsAValidationErrorAndWritesNothing() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        #expect(expectEngineError(.validation) { _ = try f.create { $0.payload = ["a": "x\u{0}y"] } })
        #expect(expectEngineError(.validation) { _ = try f.create { $0.type = "e\u{0}" } })
        #expect(expectEngineError(.validation) {
            try f.engine.complete(shared, f.ref(c), result: ["t": "\u{0}"], artifacts: [["uri": "u"]], deliveryProof: nil)
        })
        #expect(expectEngineError(.validation) { _ = try f.engine.fail(shared, f.ref(c), error: ["m": "\u{0}"], retryable: true) })
        #expect(try f.task(id).status == .leased)
        #expect(try f.receiptTypes(task: id) == ["task.assigned", "task.accepted"])
        #expect(try f.count("SELECT count(*) FROM tasks") == 1)
    }

    @Test func wrongLeaseWrongWorkerUnknownTaskNoMutation() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        let bogus = LeaseRef(taskID: id, leaseID: UUID(), workerID: "w1")
        #expect(expectEngineError(.leaseInvalidOrExpired) { try f.engine.complete(shared, bogus, result: [:], artifacts: [["a": 1]], deliveryProof: nil) })
        #expect(expectEngineError(.leaseInvalidOrExpired) { try f.engine.complete(shared, f.ref(c, worker: "intruder"), result: [:], artifacts: [["a": 1]], deliveryProof: nil) })
        #expect(expectEngineError(.leaseInvalidOrExpired) { _ = try f.engine.fail(shared, LeaseRef(taskID: UUID(), leaseID: c.leaseID, workerID: "w1"), error: [:], retryable: false) })
        #expect(expectEngineError(.taskNotFound) { _ = try f.engine.startTask(shared, LeaseRef(taskID: UUID(), leaseID: c.leaseID, workerID: "w1")) })
        #expect(expectEngineError(.leaseInvalidOrExpired) { _ = try f.engine.renewLease(shared, f.ref(c, worker: "intruder"), extendBySeconds: 60) })
        #expect(expectEngineError(.leaseInvalidOrExpired) { try f.engine.reportProgress(shared, bogus, progress: [:]) })
        #expect(try f.task(id).status == .leased)
        #expect(try f.receiptTypes(task: id) == ["task.assigned", "task.accepted"])
    }

    @Test func claimFiltersCapabilitiesAndTypesBeforeTheLimit() throws {
        let f = try EngineFixture()
        _ = try f.create("gpu-job") { $0.requirements = ["capabilities": ["gpu"]] }
        _ = try f.create("other")
        let wanted = try f.create("echo") { $0.requirements = ["capabilities": ["python"]] }
        // a worker without gpu that accepts only echo gets the echo task even though older tasks exist
        let c = try #require(try f.claimOne { $0.capabilities = ["python", "linux"]; $0.acceptTypes = ["echo"] })
        #expect(c.task.taskID == wanted)
        #expect(try f.claimOne { $0.capabilities = []; $0.acceptTypes = ["gpu-job"] } == nil)
        let gpu = try #require(try f.claimOne { $0.capabilities = ["gpu"] })
        #expect(gpu.task.type == "gpu-job")
    }

    @Test func priorityThenFIFO() throws {
        let f = try EngineFixture()
        let low = try f.create { $0.priority = 0 }
        let high1 = try f.create { $0.priority = 10 }
        let high2 = try f.create { $0.priority = 10 }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w"))
        input.maxTasks = 10
        #expect(try f.engine.claim(shared, input).map(\.task.taskID) == [high1, high2, low])
    }

    @Test func delayedTaskIsNotEligibleUntilItsTime() throws {
        let f = try EngineFixture()
        let id = try f.create { $0.delaySeconds = 3600 }
        #expect(try f.claimOne() == nil)
        _ = try f.sql("UPDATE tasks SET next_eligible_at = now() - interval '1 second' WHERE task_id = $1", [id])
        #expect(try f.claimOne()?.task.taskID == id)
    }

    @Test func leaseTTLIsClamped() throws {
        let f = try EngineFixture { $0.maxLeaseTTLSeconds = 1800 }
        _ = try f.create()
        let c = try #require(try f.claimOne { $0.leaseTTLSeconds = 99_999 })
        #expect(c.expiresAt.timeIntervalSinceNow <= 1801)
        #expect(c.expiresAt.timeIntervalSinceNow > 1700)
    }
}

@Suite struct RecoveryTests {
    /// A worker that dies: its lease expires, the sweep requeues the task with attempt unchanged and a
    /// lease.expired receipt; the old lease is dead; another worker completes the task.
    @Test func expiredLeaseIsRequeuedAttemptUnchanged() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne(worker: "crashed"))
        // before the sweep runs, an expired lease is already unusable
        try f.expireLease(c.leaseID)
        #expect(expectEngineError(.leaseInvalidOrExpired) {
            try f.engine.complete(shared, f.ref(c, worker: "crashed"), result: [:], artifacts: [["a": 1]], deliveryProof: nil)
        })
        #expect(try f.engine.sweepExpiredLeases() == 1)
        let t = try f.task(id)
        #expect(t.status == .queued)
        #expect(t.attempt == 0)
        let expired = try f.engine.ledger(shared, filter: LedgerFilter(taskID: id, leaseID: nil, receiptType: "lease.expired", taskStatus: nil), since: nil, limit: 5)
        #expect(expired.count == 1)
        #expect(expired.first?.body["previous_worker_id"] == "crashed")
        #expect(expired.first?.body["attempt"] == 0)
        #expect(expired.first?.to == alice)
        // renewing the dead lease is refused
        #expect(expectEngineError(.leaseInvalidOrExpired) { _ = try f.engine.renewLease(shared, f.ref(c, worker: "crashed"), extendBySeconds: 60) })
        _ = try f.sql("UPDATE tasks SET next_eligible_at = now() WHERE task_id = $1", [id])
        let again = try #require(try f.claimOne(worker: "healthy"))
        #expect(again.task.taskID == id)
        #expect(again.leaseID != c.leaseID)
        try f.engine.complete(shared, f.ref(again, worker: "healthy"), result: ["ok": true], artifacts: [["a": 1]], deliveryProof: nil)
        #expect(try f.task(id).status == .succeeded)
        #expect(try f.engine.sweepExpiredLeases() == 0)
    }

    @Test func repeatedExpiryRaisesAnomaly() throws {
        let f = try EngineFixture()
        let id = try f.create()
        for _ in 0..<4 {
            _ = try f.sql("UPDATE tasks SET next_eligible_at = now() WHERE task_id = $1", [id])
            let c = try #require(try f.claimOne())
            try f.expireLease(c.leaseID)
            try f.engine.sweepExpiredLeases()
        }
        let anomalies = try f.engine.ledger(shared, filter: LedgerFilter(taskID: id, leaseID: nil, receiptType: "system.anomaly", taskStatus: nil), since: nil, limit: 5)
        #expect(anomalies.count == 1)
        #expect(anomalies.first?.body["kind"] == "lease_expiry_requeues")
    }

    @Test func retryableFailRequeuesWithBackoffUntilAttemptsRunOut() throws {
        let f = try EngineFixture()
        let id = try f.create { $0.maxAttempts = 3; $0.retryBackoffSeconds = 30 }
        var backoffs: [Double] = []
        for expectedAttempt in 0..<2 {
            _ = try f.sql("UPDATE tasks SET next_eligible_at = now() WHERE task_id = $1", [id])
            let c = try #require(try f.claimOne())
            #expect(c.task.attempt == expectedAttempt)
            let r = try f.engine.fail(shared, f.ref(c), error: ["message": "boom"], retryable: true)
            #expect(r.requeued)
            backoffs.append(try #require(r.nextEligibleAt).timeIntervalSinceNow)
            let t = try f.task(id)
            #expect(t.status == .queued)
            #expect(t.attempt == expectedAttempt + 1)
            #expect(try f.claimOne() == nil, "not eligible during backoff")
        }
        #expect(abs(backoffs[0] - 30) < 5)
        #expect(abs(backoffs[1] - 60) < 5)
        _ = try f.sql("UPDATE tasks SET next_eligible_at = now() WHERE task_id = $1", [id])
        let last = try #require(try f.claimOne())
        let r = try f.engine.fail(shared, f.ref(last), error: ["message": "boom"], retryable: true)
        #expect(!r.requeued)
        #expect(try f.task(id).status == .failed)
        #expect(try f.receiptTypes(task: id).filter { $0 == "task.retry_scheduled" }.count == 2)
        #expect(try f.receiptTypes(task: id).suffix(2) == ["task.failed", "task.result_ready"])
        #expect(try f.openObligations().isEmpty)
    }

    @Test func nonRetryableFailIsTerminal() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        let r = try f.engine.fail(shared, f.ref(c), error: ["message": "bad input"], retryable: false)
        #expect(!r.requeued)
        let t = try f.task(id)
        #expect(t.status == .failed)
        #expect(t.error == ["message": "bad input"])
        // terminal is immutable: a late complete is refused
        #expect(expectEngineError(.leaseInvalidOrExpired) { try f.engine.complete(shared, f.ref(c), result: [:], artifacts: [["a": 1]], deliveryProof: nil) })
        #expect(try f.task(id).status == .failed)
    }

    @Test func renewalCountLimit() throws {
        let f = try EngineFixture { $0.maxLeaseRenewals = 2 }
        _ = try f.create()
        let c = try #require(try f.claimOne())
        let first = try f.engine.renewLease(shared, f.ref(c), extendBySeconds: 600)
        #expect(first > c.expiresAt)
        _ = try f.engine.renewLease(shared, f.ref(c), extendBySeconds: 600)
        #expect(expectEngineError(.leaseRenewalLimit) { _ = try f.engine.renewLease(shared, f.ref(c), extendBySeconds: 600) })
        #expect(try f.count("SELECT renewal_count FROM leases WHERE lease_id = $1", [c.leaseID]) == 2)
    }

    @Test func renewalLifetimeLimit() throws {
        let f = try EngineFixture { $0.maxLeaseLifetimeSeconds = 100 }
        _ = try f.create()
        let c = try #require(try f.claimOne { $0.leaseTTLSeconds = 60 })
        // clamped to the lifetime end (acquired + 100 s)
        let renewed = try f.engine.renewLease(shared, f.ref(c), extendBySeconds: 600)
        #expect(renewed.timeIntervalSinceNow <= 101)
        #expect(expectEngineError(.leaseLifetimeLimit) { _ = try f.engine.renewLease(shared, f.ref(c), extendBySeconds: 600) })
    }
}
