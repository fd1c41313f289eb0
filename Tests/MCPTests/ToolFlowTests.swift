import Foundation
import JSON
import Testing
import TestSupport

/// The whole task lifecycle through MCP tools only, in both eras.
@Suite struct ToolFlowTests {
    static let eras: [MCPClient.Era] = [.legacy("2025-06-18"), .legacy("2025-11-25"), .modern]

    @Test(arguments: eras)
    func createClaimCompleteDischargesTheObligation(_ era: MCPClient.Era) throws {
        let fixture = try ServerFixture()
        let mcp = MCPClient(fixture.client(), era: era)
        try mcp.connect()

        let created = try mcp.ok("asyncgate.create_task", ["type": "echo", "payload": ["n": 1], "principal_id": "alice",
                                                          "principal_ai": "claude", "expected_outcome_kind": "echo"])
        let taskID = try #require(created["task_id"]?.stringValue)
        #expect(created["status"] == "queued")
        #expect(try openObligationTasks(mcp) == [taskID], "a new task is an open obligation of its owner")

        let claimed = try mcp.ok("asyncgate.lease_next", ["worker_id": "w1", "accept_types": ["echo"]])
        let lease = try #require(claimed["tasks"]?[0])
        #expect(lease["task_id"] == .string(taskID))
        let leaseID = try #require(lease["lease_id"]?.stringValue)
        let ref: [String: JSON] = ["worker_id": "w1", "task_id": .string(taskID), "lease_id": .string(leaseID)]

        #expect(try mcp.ok("asyncgate.start_task", ref)["status"] == "running")
        try mcp.ok("asyncgate.report_progress", ref.merging(["progress": ["percent": 50]]) { a, _ in a })
        try mcp.ok("asyncgate.renew_lease", ref.merging(["extend_by_seconds": 900]) { a, _ in a })
        try mcp.ok("asyncgate.complete", ref.merging(["result": ["echo": 1], "artifacts": [["uri": "s3://b/k"]]]) { a, _ in a })

        let task = try mcp.ok("asyncgate.get_task", ["task_id": .string(taskID)])
        #expect(task["status"] == "succeeded")
        #expect(task["result"]?["result"] == ["echo": 1])
        #expect(try openObligationTasks(mcp).isEmpty, "completion with artifacts discharges the obligation")

        let receipts = try mcp.ok("asyncgate.list_receipts", ["to_kind": "agent", "to_id": "alice"])
        let types = receipts["receipts"]?.arrayValue?.compactMap { $0["receipt_type"]?.stringValue } ?? []
        #expect(types.contains("task.assigned") && types.contains("task.completed") && types.contains("task.result_ready"))

        let ledger = try mcp.ok("asyncgate.list_receipts_ledger", ["task_id": .string(taskID)])
        #expect(ledger["receipts"]?.arrayValue?.count ?? 0 >= 5)
        let ready = try #require(receipts["receipts"]?.arrayValue?.first { $0["receipt_type"] == "task.result_ready" })
        let ack = try mcp.ok("asyncgate.ack_receipt", ["receipt_id": ready["receipt_id"] ?? .null, "principal_id": "alice"])
        #expect(ack["ok"] == true)
        let fetched = try mcp.ok("asyncgate.get_receipt", ["receipt_id": ack["receipt_id"] ?? .null])
        #expect(fetched["receipt_type"] == "receipt.acknowledged")
    }

    func openObligationTasks(_ mcp: MCPClient) throws -> [String] {
        let page = try mcp.ok("asyncgate.bootstrap", ["principal_id": "alice"])
        #expect(Set(page.objectValue?.keys.map { $0 } ?? []) == ["server", "relationship", "open_obligations", "cursor"])
        return page["open_obligations"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? []
    }

    /// lease_next runs the REST claim route, long-poll included: a waiting claim picks up a task
    /// created while it waits, and an idle one answers an empty list once the wait is over.
    @Test func leaseNextWaitsForWorkLikeTheRESTClaim() throws {
        let fixture = try ServerFixture()
        let mcp = MCPClient(fixture.client(), era: .modern)
        let started = Date()
        let idle = try mcp.ok("asyncgate.lease_next", ["worker_id": "w1", "wait_seconds": 1])
        #expect(idle["tasks"] == [])
        #expect(Date().timeIntervalSince(started) >= 0.9, "an idle claim waits for wait_seconds")

        let waiting = Thread.detachedResult {
            try MCPClient(fixture.client(), era: .legacy("2025-11-25")).ok("asyncgate.lease_next", ["worker_id": "w1", "wait_seconds": 25])
        }
        let created = try mcp.ok("asyncgate.create_task", ["type": "echo", "principal_id": "alice"])
        let claimed = try waiting.get()
        #expect(claimed["tasks"]?[0]?["task_id"] == created["task_id"])
    }

    @Test func resultsCarryTheSameJSONAsStructuredContentAndText() throws {
        let fixture = try ServerFixture()
        let mcp = MCPClient(fixture.client(), era: .legacy("2025-06-18"))
        try mcp.connect()
        let outcome = try mcp.call("asyncgate.get_config")
        #expect(!outcome.isError)
        #expect(outcome.result["content"]?[0]?["type"] == "text")
        #expect(outcome.textJSON == outcome.structured)
        #expect(outcome.structured["receipt_mode"] == "standalone")
    }

    @Test func firstImplementationArgumentSpellingsStillWork() throws {
        let fixture = try ServerFixture()
        let mcp = MCPClient(fixture.client(), era: .legacy("2025-11-25"))
        try mcp.connect()
        let tenant: JSON = "00000000-0000-0000-0000-000000000000"
        // agent_id / tenant_id / auth_token as the Python server's clients send them; bare names too.
        let created = try mcp.ok("asyncgate.create_task", ["type": "echo", "agent_id": "bob", "principal_ai": "x",
                                                          "tenant_id": tenant, "auth_token": "ignored"])
        let boot = try mcp.ok("bootstrap", ["agent_id": "bob", "tenant_id": tenant, "max_items": 10])
        #expect(boot["open_obligations"]?[0]?["task_id"] == created["task_id"])
        #expect(boot["relationship"]?["principal_kind"] == "agent")
        let canceled = try mcp.ok("asyncgate.cancel_task", ["task_id": created["task_id"] ?? .null, "agent_id": "bob", "reason": "done"])
        #expect(canceled["status"] == "canceled")
    }
}

extension Thread {
    /// Runs `body` on a new thread; `get()` waits for its result.
    static func detachedResult<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> DetachedResult<T> {
        let result = DetachedResult<T>()
        Thread { result.set(Result { try body() }) }.start()
        return result
    }
}

final class DetachedResult<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: Result<T, Error>?

    func set(_ value: Result<T, Error>) {
        self.value = value
        done.signal()
    }

    func get() throws -> T {
        done.wait()
        return try value!.get()
    }
}
