import Foundation
import JSON
import Testing
import TestSupport

/// REST ↔ MCP equivalence: one scripted scenario — successes, a retry, a cancelation and a set of
/// mistakes — run once through REST and once through MCP, each on a fresh server. Every answer,
/// every task and every receipt chain must be the same modulo generated ids and timestamps.
@Suite struct EquivalenceTests {
    struct Step {
        var label: String
        var outcome: Outcome
    }

    /// What a run leaves behind, read back through REST on that run's own server.
    struct Run {
        var steps: [Step] = []
        var taskIDs: [String: String] = [:]
        var tasks: [String: JSON] = [:]
        var ledgers: [String: [JSON]] = [:]
        var inbox: [JSON] = []
        var obligations: [JSON] = []
    }

    static let unknownTask = "6f1e8a52-0000-4000-8000-00000000abcd"

    /// The scenario, facade-agnostic.
    static func script(_ facade: Facade) throws -> Run {
        var run = Run()
        func step(_ label: String, _ operation: String, _ arguments: [String: JSON]) throws -> JSON {
            let outcome = try facade.call(operation, arguments)
            run.steps.append(Step(label: label, outcome: outcome))
            return outcome.json
        }
        let alice: [String: JSON] = ["principal_id": "alice"]
        func task(_ name: String) -> JSON { .string(run.taskIDs[name] ?? "") }

        let createA: [String: JSON] = alice.merging(["type": "echo", "priority": 10, "idempotency_key": "k-a",
                                                     "payload": ["n": 1], "principal_ai": "claude",
                                                     "expected_outcome_kind": "echo"]) { a, _ in a }
        run.taskIDs["A"] = try step("create A", "create_task", createA)["task_id"]?.stringValue
        _ = try step("create A again (idempotent)", "create_task", createA)
        run.taskIDs["B"] = try step("create B", "create_task", alice.merging([
            "type": "sleep", "max_attempts": 2, "retry_backoff_seconds": 1, "requirements": ["capabilities": ["slow"]],
        ]) { a, _ in a })["task_id"]?.stringValue
        run.taskIDs["C"] = try step("create C", "create_task", alice.merging(["type": "echo", "priority": -5]) { a, _ in a })["task_id"]?.stringValue
        _ = try step("mistake: create without type", "create_task", alice.merging(["payload": [:]]) { a, _ in a })
        _ = try step("mistake: create as an internal principal", "create_task", ["principal_id": "svc:impostor", "type": "echo"])
        _ = try step("mistake: unknown task", "get_task", ["task_id": .string(unknownTask)])

        let claimA = try step("claim A", "lease_next", ["worker_id": "w1", "accept_types": ["echo"], "max_tasks": 1])
        let leaseA: [String: JSON] = ["worker_id": "w1", "task_id": task("A"), "lease_id": claimA["tasks"]?[0]?["lease_id"] ?? .null]
        _ = try step("start A", "start_task", leaseA)
        _ = try step("progress A", "report_progress", leaseA.merging(["progress": ["percent": 50]]) { a, _ in a })
        _ = try step("renew A", "renew_lease", leaseA.merging(["extend_by_seconds": 900]) { a, _ in a })
        _ = try step("complete A", "complete", leaseA.merging(["result": ["echo": 1], "artifacts": [["uri": "s3://bucket/a"]]]) { a, _ in a })
        _ = try step("mistake: complete A with a wrong lease", "complete",
                     leaseA.merging(["lease_id": .string(unknownTask), "result": [:]]) { _, b in b })
        _ = try step("mistake: start A after completion", "start_task", leaseA)

        _ = try step("claim B without its capability (nothing)", "lease_next", ["worker_id": "w2", "accept_types": ["sleep"]])
        let claimB = try step("claim B", "lease_next", ["worker_id": "w2", "accept_types": ["sleep"], "capabilities": ["slow"]])
        let leaseB: [String: JSON] = ["worker_id": "w2", "task_id": task("B"), "lease_id": claimB["tasks"]?[0]?["lease_id"] ?? .null]
        _ = try step("mistake: progress B as another worker", "report_progress",
                     leaseB.merging(["worker_id": "w3", "progress": [:]]) { _, b in b })
        _ = try step("fail B (retryable)", "fail", leaseB.merging(["error": ["message": "timeout"], "retryable": true]) { a, _ in a })
        _ = try step("mistake: renew B after its requeue", "renew_lease", leaseB)
        _ = try step("mistake: claim as an internal worker", "lease_next", ["worker_id": "svc:worker"])

        _ = try step("mistake: cancel C as mallory", "cancel_task", ["task_id": task("C"), "principal_id": "mallory"])
        _ = try step("cancel C", "cancel_task", ["task_id": task("C"), "principal_id": "alice", "reason": "not needed"])
        _ = try step("cancel C again", "cancel_task", ["task_id": task("C"), "principal_id": "alice"])

        let inbox = try step("alice's receipts", "list_receipts", ["to_kind": "agent", "to_id": "alice", "limit": 200])
        let readyA = inbox["receipts"]?.arrayValue?.first { $0["receipt_type"] == "task.result_ready" && $0["task_id"] == task("A") }
        _ = try step("ack A's result", "ack_receipt", ["receipt_id": readyA?["receipt_id"] ?? .null, "principal_id": "alice"])
        _ = try step("mistake: list tasks by a bad status", "list_tasks", ["status": "finished"])
        _ = try step("queued tasks", "list_tasks", ["status": "queued"])
        _ = try step("alice's open obligations", "list_open_obligations", ["principal_kind": "agent", "principal_id": "alice"])
        return run
    }

    /// Reads the stored state back through REST.
    static func collect(_ run: inout Run, _ http: TestHTTPClient) throws {
        for (name, id) in run.taskIDs {
            run.tasks[name] = try http.get("/v1/tasks/\(id)").json
            run.ledgers[name] = try http.get("/v1/receipts/ledger?task_id=\(id)&limit=200").json["receipts"]?.arrayValue ?? []
        }
        run.inbox = try http.get("/v1/receipts?to_kind=agent&to_id=alice&limit=200").json["receipts"]?.arrayValue ?? []
        run.obligations = try http.get("/v1/obligations/open?principal_kind=agent&principal_id=alice&limit=200")
            .json["open_obligations"]?.arrayValue ?? []
    }

    static func normalizer(for run: Run) -> Normalizer {
        let n = Normalizer()
        for (name, id) in run.taskIDs { n.name(id, as: name) }
        for step in run.steps where step.label.hasPrefix("claim") { n.nameLeases(in: step.outcome.json) }
        n.nameReceipts(run.ledgers.keys.sorted().flatMap { run.ledgers[$0]! } + run.inbox)
        return n
    }

    @Test func restAndMCPRunsAreIndistinguishable() throws {
        let restServer = try ServerFixture()
        var rest = try Self.script(RESTFacade(http: restServer.client()))
        try Self.collect(&rest, restServer.client())

        let mcpServer = try ServerFixture()
        let client = MCPClient(mcpServer.client(), era: .modern)
        var mcp = try Self.script(MCPFacade(client: client))
        try Self.collect(&mcp, mcpServer.client())

        let nr = Self.normalizer(for: rest), nm = Self.normalizer(for: mcp)
        #expect(nr.problems.isEmpty, "REST ledger: \(nr.problems)")
        #expect(nm.problems.isEmpty, "MCP ledger: \(nm.problems)")

        // The scenario exercised what it claims to.
        #expect(rest.steps.count == mcp.steps.count)
        #expect(rest.steps.filter { if case .failed = $0.outcome { return true } else { return false } }.count == 10)
        #expect(Set(rest.taskIDs.keys) == ["A", "B", "C"])
        #expect(rest.tasks["A"]?["status"] == "succeeded" && rest.tasks["B"]?["status"] == "queued" && rest.tasks["C"]?["status"] == "canceled")

        // Every answer, including every error code and status, step by step.
        for (r, m) in zip(rest.steps, mcp.steps) {
            #expect(r.label == m.label)
            switch (r.outcome, m.outcome) {
            case (.ok(let a), .ok(let b)):
                #expect(nr.normalize(a) == nm.normalize(b), "\(r.label): REST \(nr.normalize(a)) ≠ MCP \(nm.normalize(b))")
            default:
                #expect(r.outcome == m.outcome, "\(r.label)")
            }
        }
        // Identical task states.
        for name in ["A", "B", "C"] {
            #expect(nr.normalize(rest.tasks[name] ?? .null) == nm.normalize(mcp.tasks[name] ?? .null), "task \(name)")
        }
        // Identical receipt chains: types, from/to, parents structure, bodies — hashes modulo ids.
        for name in ["A", "B", "C"] {
            let r = nr.normalizeUnordered(rest.ledgers[name] ?? []), m = nm.normalizeUnordered(mcp.ledgers[name] ?? [])
            #expect(!r.isEmpty)
            #expect(r == m, "ledger of \(name)")
        }
        #expect(nr.normalizeUnordered(rest.inbox) == nm.normalizeUnordered(mcp.inbox), "alice's receipts")
        #expect(nr.normalizeUnordered(rest.obligations) == nm.normalizeUnordered(mcp.obligations), "open obligations")
        #expect(rest.obligations.compactMap { $0["task_id"]?.stringValue } == [rest.taskIDs["B"]!], "only B is still owed")
    }
}
