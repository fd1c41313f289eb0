import Foundation
import JSON
import Testing

/// The client flows of COMPAT.md "Known clients", replayed exactly as those clients send them:
/// the same query-string principals, the same request bodies, reading only the fields they read
/// and accepting what they accept (the command executor treats 200/201 as success, 204 as idle).
@Suite("Known clients (COMPAT.md), end to end")
struct KnownClientTests {
    @Test("golden path: health → create → claim(accept_types) → running → complete(artifacts) → succeeded → receipts → no obligation")
    func goldenPath() throws {
        let api = try APIHarness()
        let principal = "principal-demo"
        let worker = "demo-worker-1"
        let taskType = "demo.task"

        let health = try api.get("/v1/health")
        #expect(health.status == 200)
        #expect(health.json["status"] == "healthy")

        let created = try api.post("/v1/tasks?principal_kind=agent&principal_id=\(principal)", [
            "type": .string(taskType),
            "payload": ["task_summary": "Golden path demo task", "message": "Generate a demo artifact.", "task_type": .string(taskType)],
            "principal_ai": .string(principal), "expected_outcome_kind": "artifact_pointer", "expected_artifact_mime": "text/plain",
        ])
        #expect(created.status == 200)
        let taskID = try #require(created.json["task_id"]?.stringValue)

        let claim = try api.post("/v1/leases/claim", [
            "worker_id": .string(worker), "capabilities": ["demo"], "accept_types": [.string(taskType)], "max_tasks": 1,
        ])
        #expect(claim.status == 200)
        let lease = try #require(claim.json["tasks"]?.arrayValue?.first)
        #expect(lease["task_id"]?.stringValue == taskID)
        let leaseID = try #require(lease["lease_id"]?.stringValue)

        let running = try api.post("/v1/tasks/\(taskID)/running", ["worker_id": .string(worker), "lease_id": .string(leaseID)])
        #expect(running.status == 200)

        let artifact: JSON = ["type": "demo", "uri": .string("memory://artifact/\(taskID)"), "mime": "text/plain", "bytes": .int(Int64(taskID.count))]
        let complete = try api.post("/v1/tasks/\(taskID)/complete", [
            "worker_id": .string(worker), "lease_id": .string(leaseID),
            "result": ["summary": "Golden path success", "artifact_uri": .string("memory://artifact/\(taskID)")],
            "artifacts": [artifact],
        ])
        #expect(complete.status == 200)

        let task = try api.get("/v1/tasks/\(taskID)")
        #expect(task.status == 200)
        #expect(task.json["status"] == "succeeded")

        let receipts = try api.get("/v1/receipts?to_kind=agent&to_id=\(principal)&limit=200")
        #expect(receipts.status == 200)
        let types = Set(receipts.json["receipts"]?.arrayValue?.compactMap { $0["receipt_type"]?.stringValue } ?? [])
        #expect(types.isSuperset(of: ["task.assigned", "task.completed"]))

        let open = try api.get("/v1/obligations/open?principal_kind=agent&principal_id=\(principal)&limit=50")
        #expect(open.status == 200)
        let openTasks = open.json["open_obligations"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? []
        #expect(!openTasks.contains(taskID))
    }

    /// One poll of the command-executor worker (shell disabled, an allowlist of commands): claim with
    /// its capability, post running, "execute", then complete {exit_code, output_path} + a single
    /// artifact object, or fail {message} (not retryable) when the command may not run.
    static func pollOnce(_ api: APIHarness, worker: String, allowed: Set<String>) throws -> String? {
        let claim = try api.post("/v1/leases/claim", ["worker_id": .string(worker), "capabilities": ["command.execute"], "max_tasks": 1])
        if claim.status == 204 { return nil }
        #expect(claim.status == 200)
        guard let task = claim.json["tasks"]?.arrayValue?.first else { return nil }
        let taskID = try #require(task["task_id"]?.stringValue)
        let leaseID = try #require(task["lease_id"]?.stringValue)
        let payload = try #require(task["payload"])
        let command = try #require(payload["command"]?.stringValue)
        let outputPath = try #require(payload["output_path"]?.stringValue)

        let running = try api.post("/v1/tasks/\(taskID)/running", ["worker_id": .string(worker), "lease_id": .string(leaseID)])
        #expect([200, 201].contains(running.status))

        let program = command.split(separator: " ").first.map(String.init) ?? ""
        let response: Response
        if allowed.contains(program) {
            let exitCode: Int64 = program == "false" ? 1 : 0
            let absolute = "/srv/outputs/" + outputPath
            response = try api.post("/v1/tasks/\(taskID)/complete", [
                "worker_id": .string(worker), "lease_id": .string(leaseID),
                "result": ["exit_code": .int(exitCode), "output_path": .string(absolute)],
                "artifacts": ["output_path": .string(absolute), "content_type": "application/json", "description": "Command execution output"],
            ])
        } else {
            response = try api.post("/v1/tasks/\(taskID)/fail", [
                "worker_id": .string(worker), "lease_id": .string(leaseID),
                "error": ["message": .string("Command not allowed: \(program)")], "retryable": false,
            ])
        }
        #expect([200, 201].contains(response.status), "report failed: \(response.status) \(response.text)")
        return taskID
    }

    @Test("command-executor worker: poll → running → complete {exit_code, output_path} + artifact object, or fail {message}")
    func commandExecutor() throws {
        let api = try APIHarness()
        func create(_ command: String, _ output: String) throws -> String {
            try api.createTask(["type": "command.execute", "payload": ["command": .string(command), "output_path": .string(output)],
                                "requirements": ["capabilities": ["command.execute"]]])
        }
        let echo = try create("echo hello", "echo.json")
        let nonZero = try create("false", "false.json")
        let forbidden = try create("rm -rf /", "rm.json")
        let allowed: Set<String> = ["echo", "false"]

        #expect(try Self.pollOnce(api, worker: "command-executor-1", allowed: allowed) == echo)
        #expect(try Self.pollOnce(api, worker: "command-executor-1", allowed: allowed) == nonZero)
        #expect(try Self.pollOnce(api, worker: "command-executor-1", allowed: allowed) == forbidden)
        #expect(try Self.pollOnce(api, worker: "command-executor-1", allowed: allowed) == nil, "idle poll gets an empty list")

        let done = try api.task(echo)
        #expect(done["status"] == "succeeded")
        #expect(done["result"]?["result"] == ["exit_code": 0, "output_path": "/srv/outputs/echo.json"])
        #expect(done["result"]?["artifacts"]?["output_path"] == "/srv/outputs/echo.json")
        // a command that ran and exited non-zero is still a completed task (the worker reports it)
        #expect(try api.task(nonZero)["result"]?["result"]?["exit_code"] == 1)
        let failed = try api.task(forbidden)
        #expect(failed["status"] == "failed")
        #expect(failed["result"]?["error"] == ["message": "Command not allowed: rm"])
        #expect(try api.receiptTypes(task: forbidden).contains("task.failed"))
        // the single artifact object is locatable: every obligation is discharged
        #expect(try api.openObligationTaskIDs().isEmpty)
    }

    @Test("a worker offering no capability does not get the command executor's tasks")
    func capabilityGate() throws {
        let api = try APIHarness()
        try api.createTask(["type": "command.execute", "payload": ["command": "echo"], "requirements": ["capabilities": ["command.execute"]]])
        #expect(try api.claim(worker: "plain").isEmpty)
        #expect(try api.claim(worker: "plain", ["capabilities": ["shell"]]).isEmpty)
        #expect(try api.claim(worker: "command-executor-1", ["capabilities": ["command.execute"]]).count == 1)
    }
}
