import Foundation
import JSON
import Testing
import TestSupport

/// The same mistake made through REST and through MCP yields the same stable code (and the MCP
/// error names the HTTP status REST answered with).
@Suite struct ErrorParityTests {
    /// A leased task to make mistakes against.
    struct Lease {
        var taskID: String
        var leaseID: String
    }

    struct Mistake: CustomTestStringConvertible, Sendable {
        var name: String
        var code: String
        var rest: @Sendable (Lease) -> (method: String, path: String, body: JSON?)
        var mcp: @Sendable (Lease) -> (tool: String, arguments: [String: JSON])
        var testDescription: String { name }
    }

    static let unknown = "6f1e8a52-0000-4000-8000-000000000001"

    static let mistakes: [Mistake] = [
        Mistake(name: "complete with a wrong lease", code: "LEASE_INVALID_OR_EXPIRED",
                rest: { l in ("POST", "/v1/tasks/\(l.taskID)/complete", ["worker_id": "w1", "lease_id": .string(unknown), "result": [:]]) },
                mcp: { l in ("asyncgate.complete", ["worker_id": "w1", "task_id": .string(l.taskID), "lease_id": .string(unknown), "result": [:]]) }),
        Mistake(name: "renew as another worker", code: "LEASE_INVALID_OR_EXPIRED",
                rest: { l in ("POST", "/v1/leases/renew", ["worker_id": "w2", "task_id": .string(l.taskID), "lease_id": .string(l.leaseID)]) },
                mcp: { l in ("asyncgate.renew_lease", ["worker_id": "w2", "task_id": .string(l.taskID), "lease_id": .string(l.leaseID)]) }),
        Mistake(name: "unknown task", code: "TASK_NOT_FOUND",
                rest: { _ in ("GET", "/v1/tasks/\(unknown)", nil) },
                mcp: { _ in ("asyncgate.get_task", ["task_id": .string(unknown)]) }),
        Mistake(name: "task id that is not a UUID", code: "VALIDATION_ERROR",
                rest: { _ in ("GET", "/v1/tasks/not-a-uuid", nil) },
                mcp: { _ in ("asyncgate.get_task", ["task_id": "not-a-uuid"]) }),
        Mistake(name: "create without type", code: "VALIDATION_ERROR",
                rest: { _ in ("POST", "/v1/tasks?principal_kind=agent&principal_id=alice", ["payload": [:]]) },
                mcp: { _ in ("asyncgate.create_task", ["principal_id": "alice", "payload": [:]]) }),
        Mistake(name: "payload that is not an object", code: "VALIDATION_ERROR",
                rest: { _ in ("POST", "/v1/tasks?principal_kind=agent&principal_id=alice", ["type": "echo", "payload": [1, 2]]) },
                mcp: { _ in ("asyncgate.create_task", ["principal_id": "alice", "type": "echo", "payload": [1, 2]]) }),
        Mistake(name: "create as an internal principal", code: "FORBIDDEN_PRINCIPAL",
                rest: { _ in ("POST", "/v1/tasks?principal_kind=agent&principal_id=svc:x", ["type": "echo"]) },
                mcp: { _ in ("asyncgate.create_task", ["principal_id": "svc:x", "type": "echo"]) }),
        Mistake(name: "claim too many", code: "VALIDATION_ERROR",
                rest: { _ in ("POST", "/v1/leases/claim", ["worker_id": "w9", "max_tasks": 11]) },
                mcp: { _ in ("asyncgate.lease_next", ["worker_id": "w9", "max_tasks": 11]) }),
        Mistake(name: "list tasks by a status that does not exist", code: "INVALID_PARAMETER",
                rest: { _ in ("GET", "/v1/tasks?status=done", nil) },
                mcp: { _ in ("asyncgate.list_tasks", ["status": "done"]) }),
        Mistake(name: "receipts for an unknown principal kind", code: "INVALID_PARAMETER",
                rest: { _ in ("GET", "/v1/receipts?to_kind=robot&to_id=x", nil) },
                mcp: { _ in ("asyncgate.list_receipts", ["to_kind": "robot", "to_id": "x"]) }),
        Mistake(name: "cancel someone else's task", code: "NOT_TASK_OWNER",
                rest: { l in ("POST", "/v1/tasks/\(l.taskID)/cancel?principal_kind=agent&principal_id=mallory", [:]) },
                mcp: { l in ("asyncgate.cancel_task", ["task_id": .string(l.taskID), "principal_id": "mallory"]) }),
        Mistake(name: "ack an unknown receipt", code: "RECEIPT_NOT_FOUND",
                rest: { _ in ("POST", "/v1/receipts/\(unknown)/ack?principal_kind=agent&principal_id=alice", [:]) },
                mcp: { _ in ("asyncgate.ack_receipt", ["receipt_id": .string(unknown), "principal_id": "alice"]) }),
        Mistake(name: "progress that is not an object", code: "VALIDATION_ERROR",
                rest: { l in ("POST", "/v1/tasks/\(l.taskID)/progress", ["worker_id": "w1", "lease_id": .string(l.leaseID), "progress": "half"]) },
                mcp: { l in ("asyncgate.report_progress", ["worker_id": "w1", "task_id": .string(l.taskID), "lease_id": .string(l.leaseID),
                                                           "progress": "half"]) }),
    ]

    @Test(arguments: mistakes)
    func sameMistakeSameCode(_ mistake: Mistake) throws {
        let fixture = try ServerFixture()
        let rest = fixture.client()
        let created = try rest.post("/v1/tasks?principal_kind=agent&principal_id=alice", ["type": "echo"])
        let taskID = try #require(created.json["task_id"]?.stringValue)
        let claimed = try rest.post("/v1/leases/claim", ["worker_id": "w1"])
        let lease = Lease(taskID: taskID, leaseID: try #require(claimed.json["tasks"]?[0]?["lease_id"]?.stringValue))

        let (method, path, body) = mistake.rest(lease)
        let restResponse = try rest.send(method, path, body: body.map { $0.serialized() }, headers: [:])
        #expect(restResponse.errorCode == mistake.code, "REST: \(restResponse.status) \(restResponse.text)")

        let mcp = MCPClient(fixture.client(), era: .modern)
        let (tool, arguments) = mistake.mcp(lease)
        let outcome = try mcp.call(tool, arguments)
        #expect(outcome.isError)
        #expect(outcome.errorCode == mistake.code, "MCP: \(outcome.structured)")
        #expect(outcome.errorStatus == restResponse.status)
        #expect(outcome.structured["detail"]?.stringValue?.isEmpty == false)
    }

    @Test func protocolMistakesAreJSONRPCErrors() throws {
        let fixture = try ServerFixture()
        let mcp = MCPClient(fixture.client(), era: .legacy("2025-11-25"))
        let unknownTool = try mcp.request("tools/call", ["name": "asyncgate.teleport", "arguments": [:]])
        #expect(unknownTool.json["error"]?["code"] == .int(-32602))
        let badArguments = try mcp.request("tools/call", ["name": "asyncgate.get_task", "arguments": [1]])
        #expect(badArguments.json["error"]?["code"] == .int(-32602))
        let noName = try mcp.request("tools/call", [:])
        #expect(noName.json["error"]?["code"] == .int(-32602))
    }

    @Test func listArgumentWhereRESTTakesAQueryParameter() throws {
        let fixture = try ServerFixture()
        let mcp = MCPClient(fixture.client(), era: .modern)
        let outcome = try mcp.call("asyncgate.list_tasks", ["type": ["echo"]])
        #expect(outcome.errorCode == "INVALID_PARAMETER")
        #expect(outcome.errorStatus == 400)
    }
}
