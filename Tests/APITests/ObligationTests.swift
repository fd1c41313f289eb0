import Foundation
import JSON
import Testing

@Suite("GET /v1/obligations/open and the obligation lifecycle")
struct ObligationTests {
    @Test("exactly four keys: server, relationship, open_obligations, cursor — with their documented fields")
    func shape() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let r = try api.get("/v1/obligations/open?principal_kind=agent&principal_id=alice&principal_instance_id=i-1")
        expectOK(r)
        #expect(keys(r.json) == ["server", "relationship", "open_obligations", "cursor"])
        let server = try #require(r.json["server"]?.objectValue)
        for key in ["name", "version", "instance_id", "environment"] { #expect(server[key] != nil, "server.\(key)") }
        #expect(server["name"] == "AsyncGate")
        let rel = try #require(r.json["relationship"]?.objectValue)
        for key in ["principal_kind", "principal_id", "principal_instance_id", "first_seen_at", "last_seen_at", "sessions_count"] {
            #expect(rel[key] != nil, "relationship.\(key)")
        }
        #expect(rel["principal_kind"] == "agent")
        #expect(rel["principal_id"] == "alice")
        #expect(isWireTimestamp(rel["first_seen_at"]))
        let open = try #require(r.json["open_obligations"]?.arrayValue)
        try #require(open.count == 1)
        #expect(open[0]["receipt_type"] == "task.assigned")
        #expect(open[0]["task_id"]?.stringValue == id)
        #expect(r.json["cursor"] == open[0]["receipt_id"])
    }

    @Test("relationship: first seen once, last seen advances, sessions counted")
    func relationship() throws {
        let api = try APIHarness()
        let first = try api.get("/v1/obligations/open?principal_kind=agent&principal_id=alice").json["relationship"]
        let second = try api.get("/v1/obligations/open?principal_kind=agent&principal_id=alice").json["relationship"]
        #expect(first?["first_seen_at"] == second?["first_seen_at"])
        let c1 = first?["sessions_count"]?.intValue ?? 0
        let c2 = second?["sessions_count"]?.intValue ?? 0
        #expect(c1 >= 1)
        #expect(c2 >= c1)
        #expect((parseTimestamp(second?["last_seen_at"]) ?? .distantPast) >= (parseTimestamp(first?["last_seen_at"]) ?? .distantFuture))
    }

    @Test("open after create")
    func openAfterCreate() throws {
        let api = try APIHarness()
        let a = try api.createTask()
        let b = try api.createTask()
        try api.createTask(owner: "bob")
        #expect(try api.openObligationTaskIDs() == [a, b])
        #expect(try api.openObligations().allSatisfy { $0["receipt_type"] == "task.assigned" })
    }

    @Test("closed after complete with artifacts (list or single object)")
    func closedAfterComplete() throws {
        let api = try APIHarness()
        let a = try api.leasedTask()
        expectOK(try api.complete(a, artifacts: [["uri": "s3://x"]]))
        let b = try api.leasedTask()
        expectOK(try api.complete(b, artifacts: ["uri": "s3://y"]))
        #expect(try api.openObligationTaskIDs().isEmpty)
    }

    @Test("still open after complete WITHOUT artifacts, and a system.anomaly (locatability_missing) goes to the owner")
    func openAfterUnlocatableComplete() throws {
        let api = try APIHarness()
        for artifacts in [nil, [], [:]] as [JSON?] {
            let lease = try api.leasedTask()
            expectOK(try api.complete(lease, result: ["done": true], artifacts: artifacts))
            #expect(try api.status(lease.taskID) == "succeeded")
            #expect(try api.openObligationTaskIDs().contains(lease.taskID), "artifacts = \(String(describing: artifacts))")
            let receipts = try api.receipts(task: lease.taskID)
            let completed = try #require(receipts.first { $0["receipt_type"] == "task.completed" })
            #expect(completed["parents"] == [], "an unlocatable completion must not discharge the obligation")
            let anomaly = try #require(receipts.first { $0["receipt_type"] == "system.anomaly" })
            #expect(anomaly["body"]?["kind"] == "locatability_missing")
            #expect(anomaly["to"] == ["kind": "agent", "id": "alice"])
            #expect(anomaly["from"] == ["kind": "service", "id": "svc:asyncgate"])
        }
    }

    @Test("closed after cancel")
    func closedAfterCancel() throws {
        let api = try APIHarness()
        let queued = try api.createTask()
        let leased = try api.leasedTask()
        for id in [queued, leased.taskID] {
            expectOK(try api.post("/v1/tasks/\(id)/cancel", ["principal_kind": "agent", "principal_id": "alice"]))
        }
        #expect(try api.openObligationTaskIDs().isEmpty)
    }

    @Test("closed after terminal fail; still open after a retryable fail that requeues")
    func closedAfterTerminalFail() throws {
        let api = try APIHarness()
        let retry = try api.leasedTask()
        expectOK(try api.fail(retry, retryable: true))
        #expect(try api.openObligationTaskIDs() == [retry.taskID])
        let id = try api.createTask()
        let lease = try api.claimOne()
        #expect(lease.taskID == id)
        expectOK(try api.fail(lease, retryable: false))
        #expect(try api.openObligationTaskIDs() == [retry.taskID])
    }

    @Test("still open after the lease expires and the sweep requeues (lease.expired is not a terminator)")
    func openAfterExpiry() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        try api.expireLease(lease.leaseID)
        #expect(try api.engine.sweepExpiredLeases() == 1)
        #expect(try api.openObligationTaskIDs() == [lease.taskID])
    }

    @Test("ack creates receipt.acknowledged with parents=[acked] but does not discharge the obligation")
    func ackDoesNotDischarge() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let assigned = try #require(try api.openObligations().first?["receipt_id"]?.stringValue)
        let r = try api.post("/v1/receipts/\(assigned)/ack", ["principal_kind": "agent", "principal_id": "alice"])
        expectOK(r)
        let ack = try api.get("/v1/receipts/\(r.json["receipt_id"]?.stringValue ?? "")").json
        #expect(ack["receipt_type"] == "receipt.acknowledged")
        #expect(ack["parents"] == [.string(assigned)])
        #expect(try api.openObligationTaskIDs() == [id])
    }

    @Test("pagination with since_receipt_id and limit walks every open obligation once")
    func pagination() throws {
        let api = try APIHarness()
        var ids: [String] = []
        for _ in 0..<5 { ids.append(try api.createTask()) }
        let closed = try api.claimOne()  // the oldest
        expectOK(try api.complete(closed))
        var seen: [String] = []
        var cursor: String?
        for _ in 0..<10 {
            let r = try api.get("/v1/obligations/open?principal_kind=agent&principal_id=alice&limit=2"
                                + (cursor.map { "&since_receipt_id=\($0)" } ?? ""))
            expectOK(r)
            let page = r.json["open_obligations"]?.arrayValue ?? []
            #expect(page.count <= 2)
            if page.isEmpty {
                #expect(r.json["cursor"]?.stringValue == cursor, "an empty page keeps the cursor")
                break
            }
            seen += page.compactMap { $0["task_id"]?.stringValue }
            cursor = r.json["cursor"]?.stringValue
            #expect(cursor == page.last?["receipt_id"]?.stringValue)
        }
        #expect(seen == Array(ids.dropFirst()))
    }

    @Test("obligations are per principal: bob sees only bob's")
    func perPrincipal() throws {
        let api = try APIHarness()
        try api.createTask(owner: "alice")
        let b = try api.createTask(owner: "bob")
        #expect(try api.openObligationTaskIDs(id: "bob") == [b])
        #expect(try api.openObligationTaskIDs(kind: "human", id: "bob").isEmpty)
    }
}
