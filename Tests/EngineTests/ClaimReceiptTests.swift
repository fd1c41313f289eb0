import Domain
import Engine
import Foundation
import JSON
import Storage
import Testing
import TestSupport

/// The claim writes its `task.accepted` receipts inside its one statement, and a locatable complete
/// its `task.completed` and `task.result_ready`, hashing them in SQL (`asyncgate_receipt_hash`,
/// migrations/0007). Every such hash must be the one `ReceiptHash` gives for the stored receipt,
/// whatever the principal ids hold: quotes, backslashes, control characters, non-ASCII text.
@Suite struct ClaimReceiptTests {
    static let awkwardIDs = [
        "plain", #"quo"te"#, #"back\slash"#, "tab\there", "new\nline", "bell\u{07}\u{1F}", "déjà-vu", "emoji-🦀",
        "slash/and<html>&", String(repeating: "x", count: 200), "\u{7F}del", "日本語",
    ]

    @Test(arguments: awkwardIDs)
    func acceptedReceiptHashIsTheCanonicalOne(_ id: String) throws {
        let f = try EngineFixture()
        let owner = Principal(kind: .agent, id: "owner-" + id)
        let taskID = try f.create(owner: owner)
        var input = ClaimInput(worker: Principal(kind: .worker, id: "worker-" + id, instanceID: "instance-" + id))
        input.maxTasks = 1
        let claimed = try #require(try f.engine.claim(shared, input).first)
        #expect(claimed.task.taskID == taskID)
        let receipts = try f.engine.ledger(shared, filter: LedgerFilter(taskID: taskID, leaseID: nil, receiptType: "task.accepted", taskStatus: nil),
                                           since: nil, limit: 10)
        let accepted = try #require(receipts.first)
        #expect(receipts.count == 1)
        #expect(accepted.from == Principal(kind: .worker, id: "worker-" + id))
        #expect(accepted.to == owner)
        #expect(accepted.leaseID == claimed.leaseID)
        #expect(accepted.parents == [claimed.task.assignedReceiptID])
        #expect(accepted.body == ["attempt": 0, "lease_expires_at": .string(Timestamp.rfc3339(claimed.expiresAt)),
                                  "worker_instance_id": .string("instance-" + id)])
        let expected = ReceiptHash.compute(type: accepted.type, taskID: accepted.taskID, from: accepted.from, to: accepted.to,
                                           leaseID: accepted.leaseID, parents: accepted.parents, body: accepted.body)
        #expect(accepted.hash == expected)

        let worker = LeaseRef(taskID: taskID, leaseID: claimed.leaseID, workerID: "worker-" + id)
        let result: JSON = ["text": .string(id), "n": 1.5, "nested": ["z": [1, "two", JSON.null], "a": true]]
        let artifacts: JSON = [["uri": .string("s3://bucket/" + id), "mime": "text/plain"]]
        try f.engine.complete(shared, worker, result: result, artifacts: artifacts, deliveryProof: ["by": .string(id)])
        try f.engine.complete(shared, worker, result: result, artifacts: artifacts, deliveryProof: ["by": .string(id)])  // a retry
        let all = try f.engine.ledger(shared, filter: LedgerFilter(taskID: taskID, leaseID: nil, receiptType: nil, taskStatus: nil),
                                      since: nil, limit: 10)
        #expect(all.map(\.type) == ["task.assigned", "task.accepted", "task.completed", "task.result_ready"])
        let completed = all[2], ready = all[3]
        #expect(completed.from == Principal(kind: .worker, id: "worker-" + id) && completed.to == owner)
        #expect(completed.parents == [claimed.task.assignedReceiptID] && completed.leaseID == claimed.leaseID)
        #expect(completed.body == ["result": result, "artifacts": artifacts, "delivery_proof": ["by": .string(id)]])
        #expect(ready.from == .asyncgate && ready.to == owner && ready.parents == [completed.receiptID] && ready.leaseID == nil)
        #expect(ready.body == ["status": "succeeded"])
        for r in all {
            #expect(r.hash == ReceiptHash.compute(type: r.type, taskID: r.taskID, from: r.from, to: r.to, leaseID: r.leaseID,
                                                  parents: r.parents, body: r.body), "\(r.type)")
        }
        #expect(try f.engine.openObligations(shared, principal: owner, since: nil, limit: 10).openObligations.isEmpty)
        #expect(try f.task(taskID).result == result)
    }

    /// Without an instance id, with several tasks per claim, and after a retry (attempt 1).
    @Test func multiTaskClaimWithoutInstanceHashesEveryReceipt() throws {
        let f = try EngineFixture()
        for _ in 0..<3 { _ = try f.create { $0.maxAttempts = 3; $0.retryBackoffSeconds = 1 } }
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 3
        let first = try f.engine.claim(shared, input)
        #expect(first.count == 3)
        _ = try f.engine.fail(shared, f.ref(first[0]), error: ["m": "again"], retryable: true)
        _ = try f.sql("UPDATE tasks SET next_eligible_at = now() WHERE status = 'queued'")
        let again = try #require(try f.engine.claim(shared, input).first)
        #expect(again.task.attempt == 1)
        let accepted = try f.engine.ledger(shared, filter: LedgerFilter(taskID: nil, leaseID: nil, receiptType: "task.accepted", taskStatus: nil),
                                           since: nil, limit: 10)
        #expect(accepted.count == 4)
        for r in accepted {
            #expect(r.body.objectValue?["worker_instance_id"] == nil)
            #expect(r.hash == ReceiptHash.compute(type: r.type, taskID: r.taskID, from: r.from, to: r.to, leaseID: r.leaseID,
                                                  parents: r.parents, body: r.body))
        }
        #expect(accepted.contains { $0.body.objectValue?["attempt"] == 1 })
        #expect(try f.count("SELECT count(DISTINCT receipt_id) FROM receipts WHERE receipt_type = 'task.accepted'") == 4)
    }

    /// A failure writes its receipts in its one statement too, with bodies the statement builds
    /// (attempt, backoff, next_eligible_at): every hash must be the canonical one, for requeued and
    /// terminal failures, whatever the ids and the error hold.
    @Test(arguments: awkwardIDs)
    func failureReceiptHashesAreTheCanonicalOnes(_ id: String) throws {
        let f = try EngineFixture()
        let owner = Principal(kind: .agent, id: "owner-" + id)
        let worker = "worker-" + id
        let retried = try f.create(owner: owner) { $0.maxAttempts = 3; $0.retryBackoffSeconds = 7 }
        let error: JSON = ["message": .string(id), "code": -3, "ratio": 0.25, "big": 12345678901,
                           "nested": ["z": [true, JSON.null, "x"], "a": .string(id + "\u{1}")], "empty": [:], "list": []]
        var input = ClaimInput(worker: Principal(kind: .worker, id: worker)); input.maxTasks = 1
        let first = try #require(try f.engine.claim(shared, input).first)
        let requeued = try f.engine.fail(shared, LeaseRef(taskID: retried, leaseID: first.leaseID, workerID: worker), error: error, retryable: true)
        #expect(requeued.requeued)
        let next = try #require(requeued.nextEligibleAt)
        // a client retry of the committed failure: answered, nothing written twice
        let again = try f.engine.fail(shared, LeaseRef(taskID: retried, leaseID: first.leaseID, workerID: worker), error: error, retryable: true)
        #expect(again.requeued)
        _ = try f.sql("UPDATE tasks SET next_eligible_at = now() WHERE status = 'queued'")
        let second = try #require(try f.engine.claim(shared, input).first)
        #expect(second.task.attempt == 1)
        let terminal = try f.engine.fail(shared, LeaseRef(taskID: retried, leaseID: second.leaseID, workerID: worker), error: error, retryable: false)
        #expect(!terminal.requeued && terminal.nextEligibleAt == nil)

        let all = try f.engine.ledger(shared, filter: LedgerFilter(taskID: retried, leaseID: nil, receiptType: nil, taskStatus: nil),
                                      since: nil, limit: 20)
        #expect(all.map(\.type) == ["task.assigned", "task.accepted", "task.retry_scheduled", "task.accepted", "task.failed", "task.result_ready"])
        let assigned = all[0], retry = all[2], failed = all[4], ready = all[5]
        #expect(retry.from == Principal(kind: .worker, id: worker) && retry.to == owner && retry.leaseID == first.leaseID)
        #expect(retry.parents == [assigned.receiptID])
        #expect(retry.body == ["error": error, "requeued": true, "attempt": 1, "backoff_seconds": 7,
                               "next_eligible_at": .string(Timestamp.rfc3339(next))])
        #expect(failed.from == Principal(kind: .worker, id: worker) && failed.to == owner && failed.leaseID == second.leaseID)
        #expect(failed.parents == [assigned.receiptID])
        #expect(failed.body == ["error": error, "retryable": false, "attempt": 1])
        #expect(ready.from == .asyncgate && ready.to == owner && ready.parents == [failed.receiptID] && ready.leaseID == nil)
        #expect(ready.body == ["status": "failed"])
        for r in all {
            #expect(r.hash == ReceiptHash.compute(type: r.type, taskID: r.taskID, from: r.from, to: r.to, leaseID: r.leaseID,
                                                  parents: r.parents, body: r.body), "\(r.type)")
        }
        #expect(try f.engine.openObligations(shared, principal: owner, since: nil, limit: 10).openObligations.isEmpty)
        let task = try f.task(retried)
        #expect(task.status == .failed && task.error == error && task.attempt == 1)
    }
}
