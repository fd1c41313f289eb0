import Foundation
import JSON
import Testing

/// A lease-holding call that may be attempted at the wrong time.
enum LeaseCall: String, CaseIterable, Sendable {
    case renew, running, progress, complete, fail

    func send(_ api: APIHarness, _ lease: Lease) throws -> Response {
        switch self {
        case .renew: return try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": 600]))
        case .running: return try api.post("/v1/tasks/\(lease.taskID)/running", .object(lease.ref))
        case .progress: return try api.post("/v1/tasks/\(lease.taskID)/progress", lease.with(["progress": ["pct": 1]]))
        case .complete: return try api.complete(lease)
        case .fail: return try api.fail(lease, retryable: true)
        }
    }
}

/// How a lease stopped being valid before the call.
enum LeaseEnding: String, CaseIterable, Sendable {
    case expiredNotSwept = "expired, not yet swept"
    case expiredAndSwept = "expired and swept"
    case completed = "task completed"
    case failedTerminally = "task failed terminally"
    case requeuedAfterFailure = "task requeued by a retryable fail"
    case canceled = "task canceled"
    case reclaimedByAnother = "swept and re-claimed by another worker"

    /// Brings the task to this state; returns the status it must keep afterwards.
    func apply(_ api: APIHarness, _ lease: Lease) throws -> String {
        switch self {
        case .expiredNotSwept:
            try api.expireLease(lease.leaseID)
            return "leased"
        case .expiredAndSwept:
            try api.expireLease(lease.leaseID)
            #expect(try api.engine.sweepExpiredLeases() == 1)
            return "queued"
        case .completed:
            expectOK(try api.complete(lease))
            return "succeeded"
        case .failedTerminally:
            expectOK(try api.fail(lease, retryable: false))
            return "failed"
        case .requeuedAfterFailure:
            expectOK(try api.fail(lease, retryable: true))
            return "queued"
        case .canceled:
            expectOK(try api.post("/v1/tasks/\(lease.taskID)/cancel", ["principal_kind": "agent", "principal_id": "alice"]))
            return "canceled"
        case .reclaimedByAnother:
            try api.expireLease(lease.leaseID)
            #expect(try api.engine.sweepExpiredLeases() == 1)
            try api.makeEligible(lease.taskID)
            #expect(try api.claimOne(worker: "w2").taskID == lease.taskID)
            return "leased"
        }
    }

    /// A retried complete/fail of the operation that ended the lease is answered as success
    /// (idempotent retry); every other call is refused.
    func isIdempotentRetry(_ call: LeaseCall) -> Bool {
        switch (self, call) {
        case (.completed, .complete), (.failedTerminally, .fail), (.requeuedAfterFailure, .fail): return true
        default: return false
        }
    }
}

@Suite("Lease errors and illegal transitions: 400 LEASE_INVALID_OR_EXPIRED, nothing moves")
struct LeaseErrorTests {
    static let cases: [(LeaseEnding, LeaseCall)] = LeaseEnding.allCases.flatMap { e in LeaseCall.allCases.map { (e, $0) } }
        .filter { !$0.0.isIdempotentRetry($0.1) }

    @Test("a call with a lease that is no longer valid is refused without mutation", arguments: cases)
    func staleLease(ending: LeaseEnding, call: LeaseCall) throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        let status = try ending.apply(api, lease)
        let r = try api.expectUnchanged("\(ending.rawValue) / \(call.rawValue)") { try call.send(api, lease) }
        expectError(r, 400, "LEASE_INVALID_OR_EXPIRED")
        #expect(try api.status(lease.taskID) == status)
    }

    @Test("expired before the sweep: the task is still leased but nothing may use the lease; the owner may still cancel")
    func expiredBeforeSweep() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        try api.expireLease(lease.leaseID)
        let r = try api.expectUnchanged { try api.complete(lease) }
        expectError(r, 400, "LEASE_INVALID_OR_EXPIRED")
        #expect(try api.claim(worker: "w2").isEmpty, "an expired, unswept lease still blocks a second lease")
        expectOK(try api.post("/v1/tasks/\(lease.taskID)/cancel", ["principal_kind": "agent", "principal_id": "alice"]))
        #expect(try api.status(lease.taskID) == "canceled")
    }

    @Test("sweep: expired lease → task queued, attempt unchanged, lease.expired receipt to the owner")
    func sweepRequeues() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.post("/v1/tasks/\(lease.taskID)/running", .object(lease.ref)))
        try api.expireLease(lease.leaseID)
        #expect(try api.engine.sweepExpiredLeases() == 1)
        let t = try api.task(lease.taskID)
        #expect(t["status"] == "queued")
        #expect(t["attempt"] == 0)
        let expired = try #require(try api.receipts(task: lease.taskID).first { $0["receipt_type"] == "lease.expired" })
        #expect(expired["to"] == ["kind": "agent", "id": "alice"])
        #expect(expired["body"]?["previous_worker_id"] == "w1")
        #expect(expired["body"]?["requeued"] == true)
        #expect(expired["lease_id"]?.stringValue == lease.leaseID)
        // claimable again (after the small jitter)
        try api.makeEligible(lease.taskID)
        let again = try api.claimOne(worker: "w2")
        #expect(again.taskID == lease.taskID)
        #expect(again.claimed["attempt"] == 0)
        expectOK(try api.complete(again))
    }

    @Test("the new holder works after a re-claim while the old holder is refused")
    func newHolderWorks() throws {
        let api = try APIHarness()
        let old = try api.leasedTask()
        _ = try LeaseEnding.reclaimedByAnother.apply(api, old)
        let current = try #require(try api.activeLease(task: old.taskID, worker: "w2"))
        expectError(try api.complete(old), 400, "LEASE_INVALID_OR_EXPIRED")
        expectOK(try api.complete(current))
        #expect(try api.status(old.taskID) == "succeeded")
    }

    @Test("a complete retried with another worker's id is refused even after success")
    func retryByOtherWorker() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.complete(lease))
        var other = lease
        other.worker = "w2"
        let r = try api.expectUnchanged { try api.complete(other) }
        expectError(r, 400, "LEASE_INVALID_OR_EXPIRED")
    }

    @Test("fail after complete and complete after fail are refused (terminal is immutable)")
    func terminalIsImmutable() throws {
        let api = try APIHarness()
        let a = try api.leasedTask()
        expectOK(try api.complete(a))
        expectError(try api.expectUnchanged { try api.fail(a, retryable: false) }, 400, "LEASE_INVALID_OR_EXPIRED")
        let b = try api.leasedTask()
        expectOK(try api.fail(b, retryable: false))
        expectError(try api.expectUnchanged { try api.complete(b) }, 400, "LEASE_INVALID_OR_EXPIRED")
        #expect(try api.status(a.taskID) == "succeeded")
        #expect(try api.status(b.taskID) == "failed")
    }
}

extension APIHarness {
    /// The active lease a worker holds on a task, read from the database.
    func activeLease(task: String, worker: String) throws -> Lease? {
        guard let id = try scalar("SELECT lease_id::text FROM leases WHERE task_id = '\(task)' AND worker_id = '\(worker)' AND released_at IS NULL")
        else { return nil }
        return Lease(taskID: task, leaseID: id, worker: worker, claimed: [:])
    }
}
