import Foundation
import JSON
import Testing

@Suite("TASKEE endpoints: running, progress, complete, fail")
struct LeaseLifecycleTests {
    /// SPEC §5: receipt bodies are ≤ 64 KB canonical JSON. The check must measure the body that is
    /// stored, not just the caller's part of it.
    @Test("a report right at the 64 KB limit is refused (413) or stored with a body ≤ 64 KB — never over",
          arguments: ["progress", "fail"])
    func receiptBodyLimitIsExact(call: String) throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        let r: Response
        if call == "progress" {
            // canonical {"s":"…"} is n + 8 bytes: 4 bytes under the limit on its own
            let filler = JSON.string(String(repeating: "x", count: 65536 - 8 - 4))
            r = try api.post("/v1/tasks/\(lease.taskID)/progress", lease.with(["progress": ["s": filler]]))
        } else {
            // canonical {"error":{"s":"…"}} is n + 18 bytes: exactly at the limit
            let filler = JSON.string(String(repeating: "x", count: 65536 - 18))
            r = try api.post("/v1/tasks/\(lease.taskID)/fail", lease.with(["error": ["s": filler]]))
        }
        if r.status == 200 {
            for receipt in try api.receipts(task: lease.taskID) {
                let size = receipt["body"]?.canonicalBytes.count ?? 0
                #expect(size <= 65536, "\(receipt["receipt_type"]?.stringValue ?? "?") body is \(size) bytes, over the 64 KB limit")
            }
        } else {
            expectError(r, 413, "RECEIPT_TOO_LARGE")
        }
    }

    // MARK: running

    @Test("running: {ok, status: running, started_at}; task.started receipt; repeating is a no-op")
    func running() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        let r = try api.post("/v1/tasks/\(lease.taskID)/running", .object(lease.ref))
        expectOK(r)
        #expect(r.json["ok"] == true)
        #expect(r.json["status"] == "running")
        expectNear(parseTimestamp(r.json["started_at"]), Date(), "started_at")
        let t = try api.task(lease.taskID)
        #expect(t["status"] == "running")
        #expect(t["started_at"] == r.json["started_at"])
        #expect(try api.receiptTypes(task: lease.taskID) == ["task.assigned", "task.accepted", "task.started"])

        let again = try api.expectUnchanged { try api.post("/v1/tasks/\(lease.taskID)/running", .object(lease.ref)) }
        expectOK(again)
        #expect(again.json["started_at"] == r.json["started_at"])
    }

    @Test("running on an unknown task → 404 TASK_NOT_FOUND")
    func runningUnknown() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        let r = try api.expectUnchanged {
            try api.post("/v1/tasks/\(UUID().uuidString.lowercased())/running", .object(lease.ref))
        }
        expectError(r, 404, "TASK_NOT_FOUND")
    }

    // MARK: progress

    @Test("progress: stored on the task (latest wins) and receipted as task.progress; never terminates")
    func progress() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.post("/v1/tasks/\(lease.taskID)/progress", lease.with(["progress": ["pct": 10]])))
        let r = try api.post("/v1/tasks/\(lease.taskID)/progress", lease.with(["progress": ["pct": 55, "note": "half"]]))
        expectOK(r)
        #expect(r.json["ok"] == true)
        let t = try api.task(lease.taskID)
        #expect(t["progress"] == ["pct": 55, "note": "half"])
        #expect(t["status"] == "leased")
        let receipts = try api.receipts(task: lease.taskID).filter { $0["receipt_type"] == "task.progress" }
        #expect(receipts.count == 2)
        #expect(receipts.last?["body"]?["progress"] == ["pct": 55, "note": "half"])
        #expect(receipts.last?["from"] == ["kind": "worker", "id": "w1"])
        #expect(try api.openObligationTaskIDs() == [lease.taskID])
    }

    // MARK: complete

    @Test("complete with an artifact list: succeeded, result and artifacts stored, lease released, receipts emitted")
    func completeList() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.post("/v1/tasks/\(lease.taskID)/running", .object(lease.ref)))
        let artifacts: JSON = [["uri": "s3://b/out.png", "mime": "image/png"], ["uri": "s3://b/log.txt"]]
        let r = try api.complete(lease, result: ["answer": 42], artifacts: artifacts)
        expectOK(r)
        #expect(r.json["ok"] == true)

        let t = try api.task(lease.taskID)
        #expect(t["status"] == "succeeded")
        #expect(t["result"]?["outcome"] == "succeeded")
        #expect(t["result"]?["result"] == ["answer": 42])
        #expect(t["result"]?["artifacts"] == artifacts)
        #expect(t["result"]?["error"] == .null)
        expectNear(parseTimestamp(t["result"]?["completed_at"]), Date(), "completed_at")
        #expect(try api.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 0)

        let receipts = try api.receipts(task: lease.taskID)
        let types = receipts.compactMap { $0["receipt_type"]?.stringValue }
        #expect(types == ["task.assigned", "task.accepted", "task.started", "task.completed", "task.result_ready"])
        let completed = receipts[3]
        #expect(completed["parents"] == [receipts[0]["receipt_id"]!])
        #expect(completed["from"] == ["kind": "worker", "id": "w1"])
        #expect(completed["to"] == ["kind": "agent", "id": "alice"])
        #expect(completed["body"]?["artifacts"] == artifacts)
        #expect(receipts[4]["to"] == ["kind": "agent", "id": "alice"])
        #expect(try api.openObligationTaskIDs().isEmpty)
    }

    @Test("complete with a single artifact object counts as locatable")
    func completeSingleObject() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.complete(lease, artifacts: ["uri": "s3://b/one"]))
        #expect(try api.task(lease.taskID)["result"]?["artifacts"] == ["uri": "s3://b/one"])
        #expect(try api.openObligationTaskIDs().isEmpty)
        #expect(!(try api.receiptTypes(task: lease.taskID).contains("system.anomaly")))
    }

    @Test("complete with delivery_proof and no artifacts is locatable")
    func completeDeliveryProof() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        let r = try api.post("/v1/tasks/\(lease.taskID)/complete", lease.with(["result": ["x": 1], "delivery_proof": ["email_id": "m-1"]]))
        expectOK(r)
        #expect(try api.openObligationTaskIDs().isEmpty)
    }

    @Test("complete without result: succeeded with an empty result")
    func completeNoResult() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.post("/v1/tasks/\(lease.taskID)/complete", lease.with(["artifacts": ["uri": "u"]])))
        #expect(try api.status(lease.taskID) == "succeeded")
    }

    @Test("a retried complete (same lease, after success) answers ok and writes nothing")
    func completeRetry() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.complete(lease))
        let again = try api.expectUnchanged { try api.complete(lease) }
        expectOK(again)
        #expect(again.json["ok"] == true)
    }

    // MARK: fail

    @Test("fail retryable with attempts left: requeued, attempt+1, next_eligible_at ≈ now + backoff, task.retry_scheduled")
    func failRetryable() throws {
        let api = try APIHarness()
        let id = try api.createTask(["type": "echo", "retry_backoff_seconds": 40, "max_attempts": 3])
        let lease = try api.claimOne()
        let r = try api.fail(lease, retryable: true, error: ["message": "flaky", "code": "E1"])
        expectOK(r)
        #expect(r.json["ok"] == true)
        #expect(r.json["requeued"] == true)
        let next = parseTimestamp(r.json["next_eligible_at"])
        expectNear(next, Date().addingTimeInterval(40), "next_eligible_at")

        let t = try api.task(id)
        #expect(t["status"] == "queued")
        #expect(t["attempt"] == 1)
        #expect(parseTimestamp(t["next_eligible_at"]) == next)
        #expect(t["result"] == .null)
        #expect(try api.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 0)
        let receipts = try api.receipts(task: id)
        let retry = try #require(receipts.first { $0["receipt_type"] == "task.retry_scheduled" })
        #expect(retry["to"] == ["kind": "agent", "id": "alice"])
        #expect(retry["body"]?["error"] == ["message": "flaky", "code": "E1"])
        #expect(!receipts.contains { $0["receipt_type"] == "task.result_ready" })
        // still an open obligation: not terminal
        #expect(try api.openObligationTaskIDs() == [id])
        // not claimable during the backoff
        #expect(try api.claim().isEmpty)

        // second retry: backoff doubles (base * 2^attempt)
        try api.makeEligible(id)
        let second = try api.claimOne()
        #expect(second.claimed["attempt"] == 1)
        let r2 = try api.fail(second, retryable: true)
        #expect(r2.json["requeued"] == true)
        expectNear(parseTimestamp(r2.json["next_eligible_at"]), Date().addingTimeInterval(80), "second backoff")
        #expect(try api.task(id)["attempt"] == 2)
    }

    @Test("retry backoff is capped at max_retry_backoff_seconds (900 s)")
    func backoffCap() throws {
        let api = try APIHarness()
        let id = try api.createTask(["type": "echo", "retry_backoff_seconds": 600, "max_attempts": 5])
        let first = try api.claimOne()
        expectNear(parseTimestamp(try api.fail(first, retryable: true).json["next_eligible_at"]), Date().addingTimeInterval(600), "first")
        try api.makeEligible(id)
        let second = try api.claimOne()
        expectNear(parseTimestamp(try api.fail(second, retryable: true).json["next_eligible_at"]), Date().addingTimeInterval(900), "capped")
    }

    @Test("fail retryable with attempts exhausted: terminal failed, task.failed + task.result_ready, obligation closed")
    func failExhausted() throws {
        let api = try APIHarness()
        let id = try api.createTask(["type": "echo", "max_attempts": 2, "retry_backoff_seconds": 1])
        let first = try api.claimOne()
        #expect(try api.fail(first, retryable: true).json["requeued"] == true)
        try api.makeEligible(id)
        let second = try api.claimOne()
        let r = try api.fail(second, retryable: true, error: ["message": "still broken"])
        expectOK(r)
        #expect(r.json["requeued"] == false)
        #expect(r.json["next_eligible_at"] == .null)
        let t = try api.task(id)
        #expect(t["status"] == "failed")
        #expect(t["attempt"] == 1)
        #expect(t["result"]?["outcome"] == "failed")
        #expect(t["result"]?["error"] == ["message": "still broken"])
        let types = try api.receiptTypes(task: id)
        #expect(Array(types.suffix(2)) == ["task.failed", "task.result_ready"])
        #expect(try api.openObligationTaskIDs().isEmpty)
    }

    @Test("fail not retryable (default): terminal at once; max_attempts 1 never requeues")
    func failTerminal() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        let r = try api.post("/v1/tasks/\(lease.taskID)/fail", lease.with(["error": ["message": "bad input"]]))
        expectOK(r)
        #expect(r.json["requeued"] == false)
        #expect(try api.status(lease.taskID) == "failed")
        let receipts = try api.receipts(task: lease.taskID)
        let failed = try #require(receipts.first { $0["receipt_type"] == "task.failed" })
        #expect(failed["parents"] == [receipts[0]["receipt_id"]!])

        let one = try api.createTask(["type": "echo", "max_attempts": 1])
        let l1 = try api.claimOne()
        #expect(l1.taskID == one)
        #expect(try api.fail(l1, retryable: true).json["requeued"] == false)
        #expect(try api.status(one) == "failed")
    }

    @Test("fail with a string error is stored as {message}")
    func failStringError() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.post("/v1/tasks/\(lease.taskID)/fail", lease.with(["error": "disk full"])))
        #expect(try api.task(lease.taskID)["result"]?["error"] == ["message": "disk full"])
    }
}
