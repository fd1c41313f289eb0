import Foundation
import JSON
import Testing

@Suite("POST /v1/tasks/{id}/cancel")
struct CancelTests {
    @Test("owner cancels a queued task: {ok: true, status: canceled}, task.canceled (parents=[assigned]) + task.result_ready")
    func cancelQueued() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let r = try api.post("/v1/tasks/\(id)/cancel", ["principal_kind": "agent", "principal_id": "alice", "reason": "not needed"])
        expectOK(r)
        #expect(r.json["ok"] == true)
        #expect(r.json["status"] == "canceled")
        let t = try api.task(id)
        #expect(t["status"] == "canceled")
        #expect(t["result"]?["outcome"] == "canceled")
        #expect(isWireTimestamp(t["result"]?["completed_at"]))
        let receipts = try api.receipts(task: id)
        #expect(receipts.compactMap { $0["receipt_type"]?.stringValue } == ["task.assigned", "task.canceled", "task.result_ready"])
        #expect(receipts[1]["parents"] == [receipts[0]["receipt_id"]!])
        #expect(receipts[1]["body"]?["reason"] == "not needed")
        #expect(receipts[1]["from"] == ["kind": "agent", "id": "alice"])
        #expect(receipts[2]["to"] == ["kind": "agent", "id": "alice"])
        #expect(try api.openObligationTaskIDs().isEmpty)
    }

    @Test("principal may be given in the query string for cancel too")
    func cancelQueryPrincipal() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let r = try api.post("/v1/tasks/\(id)/cancel?principal_kind=agent&principal_id=alice", [:])
        expectOK(r)
        #expect(r.json["status"] == "canceled")
    }

    @Test("cancel a leased task releases its lease: the worker's later complete is refused")
    func cancelLeased() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.post("/v1/tasks/\(lease.taskID)/cancel", ["principal_kind": "agent", "principal_id": "alice"]))
        #expect(try api.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 0)
        let late = try api.expectUnchanged { try api.complete(lease) }
        expectError(late, 400, "LEASE_INVALID_OR_EXPIRED")
        #expect(try api.status(lease.taskID) == "canceled")
        #expect(try api.claim().isEmpty)
    }

    @Test("cancel by someone else → 403 NOT_TASK_OWNER, nothing changes")
    func cancelNotOwner() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let r = try api.expectUnchanged {
            try api.post("/v1/tasks/\(id)/cancel", ["principal_kind": "agent", "principal_id": "mallory"])
        }
        expectError(r, 403, "NOT_TASK_OWNER")
        #expect(try api.status(id) == "queued")
    }

    @Test("cancel by the same id under another kind is not the owner (owner is {kind, id})")
    func cancelOtherKind() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let r = try api.expectUnchanged {
            try api.post("/v1/tasks/\(id)/cancel", ["principal_kind": "human", "principal_id": "alice"])
        }
        expectError(r, 403, "NOT_TASK_OWNER")
    }

    @Test("cancel a terminal task returns its status unchanged and writes nothing")
    func cancelTerminal() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.complete(lease))
        let r = try api.expectUnchanged {
            try api.post("/v1/tasks/\(lease.taskID)/cancel", ["principal_kind": "agent", "principal_id": "alice"])
        }
        expectOK(r)
        #expect(r.json["status"] == "succeeded")
        #expect(try api.status(lease.taskID) == "succeeded")

        let twice = try api.createTask()
        expectOK(try api.post("/v1/tasks/\(twice)/cancel", ["principal_kind": "agent", "principal_id": "alice"]))
        let again = try api.expectUnchanged {
            try api.post("/v1/tasks/\(twice)/cancel", ["principal_kind": "agent", "principal_id": "alice"])
        }
        expectOK(again)
        #expect(again.json["status"] == "canceled")
    }

    @Test("cancel unknown task → 404 TASK_NOT_FOUND")
    func cancelUnknown() throws {
        let api = try APIHarness()
        let r = try api.expectUnchanged {
            try api.post("/v1/tasks/\(UUID().uuidString.lowercased())/cancel", ["principal_kind": "agent", "principal_id": "alice"])
        }
        expectError(r, 404, "TASK_NOT_FOUND")
    }
}
