import AsyncGateClient
import Foundation
import JSON
import TestSupport
import Testing

/// Every client call against a real server over a fresh database.
@Suite struct ClientCallTests {
    @Test func healthAndConfig() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let health = try client.health()
        #expect(health.isHealthy)
        #expect(health.service == "AsyncGate")
        #expect(health.instanceID == "test-instance")
        let config = try client.serverConfig()
        #expect(config["receipt_mode"]?.stringValue == "standalone")
    }

    @Test func createGetListAndCancel() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        var task = NewTask(type: "echo", payload: ["n": 1])
        task.priority = 5
        task.principalAI = "model-x"
        task.requirements = ["capabilities": ["gpu"]]
        task.maxAttempts = 2
        task.delaySeconds = 0
        let created = try client.createTask(task, owner: Support.alice)
        #expect(created.status == .queued)
        #expect(created.created == true)

        let info = try client.getTask(created.taskID)
        #expect(info.taskID == created.taskID)
        #expect(info.type == "echo")
        #expect(info.payload == ["n": 1])
        #expect(info.createdBy == Principal.agent("alice"))
        #expect(info.principalAI == "model-x")
        #expect(info.priority == 5)
        #expect(info.maxAttempts == 2)
        #expect(info.attempt == 0)
        #expect(info.status == .queued)
        #expect(info.result == nil)

        // idempotent create: same key, same task
        var keyed = NewTask(type: "echo", idempotencyKey: "k-1")
        keyed.payload = ["a": true]
        let first = try client.createTask(keyed, owner: Support.alice)
        let again = try client.createTask(keyed, owner: Support.alice)
        #expect(first.taskID == again.taskID)
        #expect(again.created == false)

        let page = try client.listTasks(TaskQuery(type: "echo", limit: 1))
        #expect(page.tasks.count == 1)
        #expect(page.tasks.first?.taskID == first.taskID)  // newest first
        let next = try client.listTasks(TaskQuery(type: "echo", limit: 1, cursor: page.nextCursor))
        #expect(next.tasks.map(\.taskID) == [created.taskID])
        #expect(try client.listTasks(TaskQuery(status: .succeeded)).tasks.isEmpty)

        let canceled = try client.cancelTask(created.taskID, by: Support.alice, reason: "changed my mind")
        #expect(canceled.ok && canceled.status == .canceled && canceled.changed == true)
        let repeated = try client.cancelTask(created.taskID, by: Support.alice)
        #expect(repeated.status == .canceled && repeated.changed == false)
        #expect(try client.getTask(created.taskID).result?.outcome == "canceled")
    }

    @Test func leaseLifecycleAndReceipts() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let created = try client.createTask(NewTask(type: "job", payload: ["x": 1]), owner: Support.alice)

        #expect(try client.claim(ClaimRequest(workerID: "w1", acceptTypes: ["other"])).isEmpty)
        let claimed = try client.claim(ClaimRequest(workerID: "w1", acceptTypes: ["job"], maxTasks: 5, leaseTTLSeconds: 60))
        #expect(claimed.count == 1)
        let task = try #require(claimed.first)
        #expect(task.taskID == created.taskID && task.type == "job" && task.payload == ["x": 1] && task.attempt == 0)
        #expect(task.expiresAt > Date())
        let lease = task.lease(workerID: "w1")

        let running = try client.listRunningTasks()
        #expect(running.tasks.map(\.taskID) == [created.taskID])
        #expect(try client.markRunning(lease) != nil)
        let expires = try client.renewLease(lease, extendBySeconds: 120)
        #expect(expires > task.expiresAt)
        try client.reportProgress(lease, progress: ["pct": 50])
        #expect(try client.getTask(created.taskID).progress == ["pct": 50])
        try client.complete(lease, result: ["ok": true], artifacts: [["type": "inline", "uri": "memory://x"]])

        let done = try client.getTask(created.taskID)
        #expect(done.status == .succeeded)
        #expect(done.result?.result == ["ok": true])
        #expect(done.result?.artifacts == [["type": "inline", "uri": "memory://x"]])

        let inbox = try client.receipts(to: Support.alice)
        let types = inbox.receipts.map(\.receiptType)
        #expect(types.contains("task.assigned") && types.contains("task.completed") && types.contains("task.result_ready"))
        let assigned = try #require(inbox.receipts.first { $0.receiptType == "task.assigned" })
        #expect(assigned.taskID == created.taskID)
        #expect(try client.receipt(assigned.receiptID).receiptID == assigned.receiptID)

        let ledger = try client.ledger(LedgerQuery(taskID: created.taskID))
        #expect(ledger.receipts.count >= 5)  // assigned, accepted, started, progress, completed, result_ready
        let page = try client.receipts(to: Support.alice, limit: 1)
        #expect(page.receipts.count == 1 && page.nextCursor != nil)
        let rest = try client.receipts(to: Support.alice, since: page.nextCursor)
        #expect(rest.receipts.count == inbox.receipts.count - 1)

        let ackID = try client.ack(assigned.receiptID, by: Support.alice)
        #expect(ackID != nil)
        #expect(try client.ack(assigned.receiptID, by: Support.alice) == ackID)  // deduped by hash

        // the completion carried artifacts: nothing is owed any more
        let obligations = try client.openObligations(for: Support.alice)
        #expect(obligations.openObligations.isEmpty)
        #expect(obligations.server["name"]?.stringValue == "AsyncGate")
        #expect(obligations.relationship["principal_id"]?.stringValue == "alice")
    }

    @Test func failRequeuesThenFailsTerminally() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        var new = NewTask(type: "flaky")
        new.maxAttempts = 2
        new.retryBackoffSeconds = 1
        let created = try client.createTask(new, owner: Support.alice)
        #expect(try client.openObligations(for: Support.alice).openObligations.count == 1)

        let first = try #require(try client.claim(ClaimRequest(workerID: "w", acceptTypes: ["flaky"])).first)
        let requeued = try client.fail(first.lease(workerID: "w"), error: ["message": "try again"], retryable: true)
        #expect(requeued.requeued)
        #expect(requeued.nextEligibleAt != nil)
        #expect(try client.getTask(created.taskID).status == .queued)

        _ = try fixture.engineFixture.sql("UPDATE tasks SET next_eligible_at = now() - interval '1 second'")
        let second = try #require(try client.claim(ClaimRequest(workerID: "w", acceptTypes: ["flaky"])).first)
        #expect(second.attempt == 1)
        let terminal = try client.fail(second.lease(workerID: "w"), error: ["message": "no"], retryable: true)
        #expect(!terminal.requeued)
        let info = try client.getTask(created.taskID)
        #expect(info.status == .failed)
        #expect(info.result?.error == ["message": "no"])
        #expect(try client.openObligations(for: Support.alice).openObligations.isEmpty)
    }

    @Test func apiKeyIsSent() throws {
        let key = "a-test-key-of-enough-length-0123456789"
        let fixture = try ServerFixture(api: { $0.authentication = .sharedKey(key) })
        #expect(try Support.client(port: fixture.port, apiKey: key).listTasks().tasks.isEmpty)
        // health needs no credential
        #expect(try Support.client(port: fixture.port).health().isHealthy)
    }
}
