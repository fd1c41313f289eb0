import Foundation
import JSON
import Testing

@Suite("Receipts: list, ledger, get, ack; bootstrap")
struct ReceiptEndpointTests {
    static let receiptFields = ["receipt_id", "receipt_type", "created_at", "from", "to", "task_id", "lease_id", "parents", "body", "delivered_at"]

    @Test("GET /v1/receipts?to_kind&to_id: the principal's inbox, oldest first, every wire field present")
    func listInbox() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.complete(lease))
        try api.createTask(owner: "bob")

        let r = try api.get("/v1/receipts?to_kind=agent&to_id=alice")
        expectOK(r)
        let receipts = try #require(r.json["receipts"]?.arrayValue)
        #expect(receipts.compactMap { $0["receipt_type"]?.stringValue }
                == ["task.assigned", "task.accepted", "task.completed", "task.result_ready"])
        for receipt in receipts {
            for field in Self.receiptFields { #expect(receipt[field] != nil, "receipt lacks \(field)") }
            #expect(receipt["to"] == ["kind": "agent", "id": "alice"])
            #expect(isWireUUID(receipt["receipt_id"]))
            #expect(isWireTimestamp(receipt["created_at"]))
            #expect(receipt["task_id"]?.stringValue == lease.taskID)
        }
        let times = receipts.compactMap { parseTimestamp($0["created_at"]) }
        #expect(times == times.sorted())
        #expect(r.json["next_cursor"] == .null)
        // ext: prefix is the same principal
        let ext = try api.get("/v1/receipts?to_kind=agent&to_id=ext:alice")
        #expect(ext.json["receipts"]?.arrayValue?.count == 4)
        // someone with nothing
        #expect(try api.get("/v1/receipts?to_kind=agent&to_id=nobody").json["receipts"] == [])
    }

    @Test("receipt pagination with since_receipt_id and limit: next_cursor = last id, no gaps, no repeats")
    func listPagination() throws {
        let api = try APIHarness()
        for _ in 0..<5 { try api.createTask() }
        let all = try #require(try api.get("/v1/receipts?to_kind=agent&to_id=alice&limit=200").json["receipts"]?.arrayValue)
        #expect(all.count == 5)
        var seen: [String] = []
        var cursor: String?
        for _ in 0..<10 {
            let r = try api.get("/v1/receipts?to_kind=agent&to_id=alice&limit=2" + (cursor.map { "&since_receipt_id=\($0)" } ?? ""))
            expectOK(r)
            let page = r.json["receipts"]?.arrayValue?.compactMap { $0["receipt_id"]?.stringValue } ?? []
            seen += page
            cursor = r.json["next_cursor"]?.stringValue
            if let cursor { #expect(cursor == page.last) }
            if cursor == nil || page.isEmpty { break }
        }
        #expect(seen == all.compactMap { $0["receipt_id"]?.stringValue })
    }

    @Test("receipt pagination never skips receipts that share a created_at")
    func listPaginationSharedTimestamps() throws {
        let api = try APIHarness()
        // Six obligations stamped with the same instant (receipts are append-only, so they are
        // written that way rather than updated): only the id tie-breaker orders them.
        try api.sql("""
            INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, parents, body, hash, created_at)
            SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'task.assigned', 'service', 'svc:asyncgate',
                   'agent', 'alice', '[]', '{}', md5(random()::text || n), '2025-01-01T00:00:00Z'
            FROM generate_series(1, 6) n
            """)
        let expected = try api.count("SELECT count(*) FROM receipts")
        #expect(expected == 6)
        var seen: [String] = []
        var cursor: String?
        for _ in 0..<10 {
            let r = try api.get("/v1/receipts?to_kind=agent&to_id=alice&limit=4" + (cursor.map { "&since_receipt_id=\($0)" } ?? ""))
            seen += r.json["receipts"]?.arrayValue?.compactMap { $0["receipt_id"]?.stringValue } ?? []
            cursor = r.json["next_cursor"]?.stringValue
            if cursor == nil { break }
        }
        #expect(seen.count == 6)
        #expect(seen == seen.sorted(), "ties are ordered by id")
        #expect(Set(seen).count == 6)

        // and the same for open obligations
        var open: [String] = []
        var ocursor: String?
        for _ in 0..<10 {
            let r = try api.get("/v1/obligations/open?principal_kind=agent&principal_id=alice&limit=4"
                                + (ocursor.map { "&since_receipt_id=\($0)" } ?? ""))
            let page = r.json["open_obligations"]?.arrayValue?.compactMap { $0["receipt_id"]?.stringValue } ?? []
            if page.isEmpty { break }
            open += page
            ocursor = r.json["cursor"]?.stringValue
        }
        #expect(open == seen)
    }

    /// A client's cursor can stop naming a receipt (another tenant's id, a typo, retention). Answering
    /// "nothing new" forever would silently lose that client's inbox; an error or a restart from the
    /// beginning (what the first implementation did) are both safe.
    @Test("an unknown since_receipt_id is never a silent, permanently empty page",
          arguments: ["/v1/receipts?to_kind=agent&to_id=alice", "/v1/obligations/open?principal_kind=agent&principal_id=alice"])
    func unknownCursor(path: String) throws {
        let api = try APIHarness()
        try api.createTask()
        try api.createTask()
        let r = try api.get(path + "&since_receipt_id=7f0c1f7e-2b1a-4c1e-9a51-5d6b0e4c3a21")
        if r.status == 200 {
            let items = (r.json["receipts"] ?? r.json["open_obligations"])?.arrayValue ?? []
            #expect(items.count == 2, "200 with \(items.count) items: the unknown cursor hid the whole inbox")
        } else {
            #expect((400..<500).contains(r.status), "got \(r.status) \(r.text)")
            #expect(r.errorCode != nil)
        }
    }

    @Test("ledger filters: task_id, lease_id, receipt_type, status (and combinations)")
    func ledger() throws {
        let api = try APIHarness()
        let done = try api.leasedTask()
        expectOK(try api.complete(done))
        let waiting = try api.createTask()

        func types(_ query: String) throws -> [String] {
            let r = try api.get("/v1/receipts/ledger?\(query)")
            expectOK(r)
            return r.json["receipts"]?.arrayValue?.compactMap { $0["receipt_type"]?.stringValue } ?? []
        }
        #expect(try types("task_id=\(done.taskID)") == ["task.assigned", "task.accepted", "task.completed", "task.result_ready"])
        #expect(try types("lease_id=\(done.leaseID)") == ["task.accepted", "task.completed"])
        #expect(try types("receipt_type=task.assigned") == ["task.assigned", "task.assigned"])
        #expect(try types("status=queued") == ["task.assigned"])
        #expect(try types("status=succeeded").count == 4)
        #expect(try types("task_id=\(waiting)&receipt_type=task.completed") == [])
        let r = try api.get("/v1/receipts/ledger?receipt_type=task.assigned&limit=1")
        #expect(r.json["receipts"]?.arrayValue?.count == 1)
        let cursor = try #require(r.json["next_cursor"]?.stringValue)
        let next = try api.get("/v1/receipts/ledger?receipt_type=task.assigned&limit=1&since_receipt_id=\(cursor)")
        #expect(next.json["receipts"]?[0]?["task_id"]?.stringValue == waiting)
    }

    @Test("GET /v1/receipts/{id} returns the receipt; unknown → 404 RECEIPT_NOT_FOUND")
    func getReceipt() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let listed = try #require(try api.receipts(task: id).first)
        let receiptID = try #require(listed["receipt_id"]?.stringValue)
        let r = try api.get("/v1/receipts/\(receiptID)")
        expectOK(r)
        #expect(r.json == listed)
        for field in Self.receiptFields { #expect(r.json[field] != nil, "receipt lacks \(field)") }
        expectError(try api.get("/v1/receipts/\(UUID().uuidString.lowercased())"), 404, "RECEIPT_NOT_FOUND")
    }

    @Test("ack: receipt.acknowledged from the acker to svc:asyncgate with parents=[acked]; twice → same receipt")
    func ack() throws {
        let api = try APIHarness()
        let lease = try api.leasedTask()
        expectOK(try api.complete(lease))
        let ready = try #require(try api.receipts(task: lease.taskID).first { $0["receipt_type"] == "task.result_ready" })
        let readyID = try #require(ready["receipt_id"]?.stringValue)

        let r = try api.post("/v1/receipts/\(readyID)/ack", ["principal_kind": "agent", "principal_id": "alice"])
        expectOK(r)
        #expect(r.json["ok"] == true)
        let ackID = try #require(r.json["receipt_id"]?.stringValue)
        let ack = try api.get("/v1/receipts/\(ackID)").json
        #expect(ack["receipt_type"] == "receipt.acknowledged")
        #expect(ack["parents"] == [.string(readyID)])
        #expect(ack["from"] == ["kind": "agent", "id": "alice"])
        #expect(ack["to"] == ["kind": "service", "id": "svc:asyncgate"])
        #expect(ack["task_id"]?.stringValue == lease.taskID)
        // the acked receipt itself is unchanged
        #expect(try api.get("/v1/receipts/\(readyID)").json == ready)

        let again = try api.expectUnchanged {
            try api.post("/v1/receipts/\(readyID)/ack", ["principal_kind": "agent", "principal_id": "alice"])
        }
        expectOK(again)
        #expect(again.json["receipt_id"]?.stringValue == ackID)
        #expect(try api.count("SELECT count(*) FROM receipts WHERE receipt_type = 'receipt.acknowledged'") == 1)
    }

    @Test("ack of an unknown receipt → 404 RECEIPT_NOT_FOUND, nothing written")
    func ackUnknown() throws {
        let api = try APIHarness()
        try api.createTask()
        let r = try api.expectUnchanged {
            try api.post("/v1/receipts/\(UUID().uuidString.lowercased())/ack", ["principal_kind": "agent", "principal_id": "alice"])
        }
        expectError(r, 404, "RECEIPT_NOT_FOUND")
    }

    // MARK: bootstrap (deprecated)

    @Test("bootstrap: deprecation headers, server/relationship/attention buckets/cursor; marks inbox delivered")
    func bootstrap() throws {
        let api = try APIHarness()
        let queued = try api.createTask()
        let leased = try api.leasedTask()
        let done = try api.leasedTask()
        expectOK(try api.complete(done, artifacts: nil))  // not locatable → anomaly
        let delayed = try api.createTask(["type": "echo", "delay_seconds": 600])

        let r = try api.get("/v1/bootstrap?principal_kind=agent&principal_id=alice")
        expectOK(r)
        #expect(r.header("Deprecation") == "true")
        #expect(r.header("X-AsyncGate-Deprecated")?.isEmpty == false)
        #expect(keys(r.json).isSuperset(of: ["server", "relationship", "attention", "cursor"]))
        let attention = try #require(r.json["attention"]?.objectValue)
        #expect(Set(attention.keys) == ["inbox_receipts", "assigned_tasks", "waiting_results", "running_or_scheduled", "anomalies"])
        let inbox = attention["inbox_receipts"]?.arrayValue ?? []
        #expect(!inbox.isEmpty)
        let assigned = Set(attention["assigned_tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? [])
        #expect(assigned == [queued, leased.taskID, delayed])
        let running = Set(attention["running_or_scheduled"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? [])
        #expect(running == [leased.taskID, delayed])
        let anomalies = attention["anomalies"]?.arrayValue ?? []
        #expect(anomalies.count == 1)
        #expect(anomalies.first?["body"]?["kind"] == "locatability_missing")
        let waiting = Set(attention["waiting_results"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? [])
        #expect(waiting.contains(queued))
        #expect(r.json["server"]?["name"] == "AsyncGate")
        #expect(r.json["relationship"]?["principal_id"] == "alice")
        #expect(r.json["cursor"]?.stringValue == inbox.last?["receipt_id"]?.stringValue)

        // receipts handed out by bootstrap carry delivered_at from now on
        let first = try #require(inbox.first?["receipt_id"]?.stringValue)
        #expect(isWireTimestamp(try api.get("/v1/receipts/\(first)").json["delivered_at"]))
    }
}
