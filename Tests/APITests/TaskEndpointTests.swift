import Foundation
import JSON
import Testing

@Suite("TASKER endpoints: create, get, list, running")
struct TaskEndpointTests {
    static let fullBody: JSON = [
        "type": "render", "payload": ["scene": "a", "frames": [1, 2, 3]], "payload_pointer": "s3://bucket/in.json",
        "principal_ai": "claude", "requirements": ["capabilities": ["gpu"], "tags": ["fast"]],
        "expected_outcome_kind": "artifact", "expected_artifact_mime": "image/png", "priority": 7,
        "idempotency_key": "render-a", "max_attempts": 5, "retry_backoff_seconds": 12, "delay_seconds": 0,
    ]

    @Test("create with every optional field: 200 {task_id, status: queued}, GET returns each field")
    func createAllFields() throws {
        let api = try APIHarness()
        let r = try api.post("/v1/tasks?principal_kind=agent&principal_id=alice", Self.fullBody)
        expectOK(r)
        #expect(r.json["status"] == "queued")
        #expect(isWireUUID(r.json["task_id"]))
        let id = try #require(r.json["task_id"]?.stringValue)

        let t = try api.task(id)
        #expect(t["task_id"]?.stringValue == id)
        #expect(t["type"] == "render")
        #expect(t["payload"] == ["scene": "a", "frames": [1, 2, 3]])
        #expect(t["payload_pointer"] == "s3://bucket/in.json")
        #expect(t["created_by"] == ["kind": "agent", "id": "alice"])
        #expect(t["principal_ai"] == "claude")
        #expect(t["requirements"] == ["capabilities": ["gpu"], "tags": ["fast"]])
        #expect(t["expected_outcome_kind"] == "artifact")
        #expect(t["expected_artifact_mime"] == "image/png")
        #expect(t["priority"] == 7)
        #expect(t["status"] == "queued")
        #expect(t["attempt"] == 0)
        #expect(t["max_attempts"] == 5)
        #expect(t["started_at"] == .null)
        #expect(t["result"] == .null)
        #expect(t["progress"] != nil)
        for field in ["created_at", "updated_at", "next_eligible_at"] { #expect(isWireTimestamp(t[field]), "\(field)") }
        expectNear(parseTimestamp(t["next_eligible_at"]), Date(), "next_eligible_at")
    }

    @Test("create with only a type: defaults (payload {}, priority 0, attempt 0, max_attempts 3, eligible now)")
    func createDefaults() throws {
        let api = try APIHarness()
        let id = try api.createTask(["type": "echo"])
        let t = try api.task(id)
        #expect(t["payload"] == [:])
        #expect(t["requirements"] == [:])
        #expect(t["priority"] == 0)
        #expect(t["attempt"] == 0)
        #expect(t["max_attempts"] == 3)
        #expect(t["payload_pointer"] == .null)
        #expect(t["principal_ai"] == .null)
        #expect(t["expected_outcome_kind"] == .null)
        #expect(t["expected_artifact_mime"] == .null)
        #expect(try api.scalar("SELECT retry_backoff_seconds::text FROM tasks") == "30")
        expectNear(parseTimestamp(t["next_eligible_at"]), Date(), "next_eligible_at")
    }

    @Test("create emits task.assigned from svc:asyncgate to the owner, atomically with the row")
    func createEmitsAssigned() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let receipts = try api.receipts(task: id)
        try #require(receipts.count == 1)
        #expect(receipts[0]["receipt_type"] == "task.assigned")
        #expect(receipts[0]["from"] == ["kind": "service", "id": "svc:asyncgate"])
        #expect(receipts[0]["to"] == ["kind": "agent", "id": "alice"])
        #expect(receipts[0]["parents"] == [])
    }

    @Test("principal ids: a leading ext: is stripped (ext:alice ≡ alice); principal fields may come in the body")
    func extPrefix() throws {
        let api = try APIHarness()
        let a = try api.createTask(owner: "ext:alice")
        #expect(try api.task(a)["created_by"] == ["kind": "agent", "id": "alice"])
        let r = try api.post("/v1/tasks", ["type": "echo", "principal_kind": "human", "principal_id": "bob"])
        expectOK(r)
        let b = try #require(r.json["task_id"]?.stringValue)
        #expect(try api.task(b)["created_by"] == ["kind": "human", "id": "bob"])
    }

    @Test("query values are URL-decoded ('+' is a space, %XX escapes), as Python's urlencode sends them")
    func urlEncodedPrincipal() throws {
        let api = try APIHarness()
        let id = try api.createTask(owner: "demo+agent%2Fteam%40example.com")
        #expect(try api.task(id)["created_by"] == ["kind": "agent", "id": "demo agent/team@example.com"])
        let r = try api.get("/v1/receipts?to_kind=agent&to_id=demo+agent%2Fteam%40example.com&limit=200")
        #expect(r.json["receipts"]?.arrayValue?.count == 1)
        let listed = try api.get("/v1/tasks?created_by=demo%20agent%2Fteam%40example.com")
        #expect(listed.json["tasks"]?.arrayValue?.count == 1)
    }

    @Test("delay_seconds sets next_eligible_at = now + delay")
    func delay() throws {
        let api = try APIHarness()
        let id = try api.createTask(["type": "echo", "delay_seconds": 3600])
        let t = try api.task(id)
        expectNear(parseTimestamp(t["next_eligible_at"]), Date().addingTimeInterval(3600), "next_eligible_at")
        #expect(t["status"] == "queued")
    }

    @Test("the same idempotency_key returns the original task and writes nothing")
    func idempotentCreate() throws {
        let api = try APIHarness()
        let first = try api.createTask(["type": "echo", "payload": ["v": 1], "idempotency_key": "k1"])
        let again = try api.expectUnchanged {
            try api.post("/v1/tasks?principal_kind=agent&principal_id=alice", ["type": "echo", "payload": ["v": 2], "idempotency_key": "k1"])
        }
        expectOK(again)
        #expect(again.json["task_id"]?.stringValue == first)
        #expect(again.json["status"] == "queued")
        #expect(try api.task(first)["payload"] == ["v": 1])
        let other = try api.createTask(["type": "echo", "idempotency_key": "k2"])
        #expect(other != first)
    }

    @Test("GET unknown task → 404 TASK_NOT_FOUND")
    func getUnknown() throws {
        let api = try APIHarness()
        expectError(try api.get("/v1/tasks/\(UUID().uuidString.lowercased())"), 404, "TASK_NOT_FOUND")
    }

    @Test("GET accepts an upper-case UUID in the path and answers lower-case")
    func getUppercase() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let r = try api.get("/v1/tasks/\(id.uppercased())")
        expectOK(r)
        #expect(r.json["task_id"]?.stringValue == id)
    }

    // MARK: list

    @Test("list: newest first, filters by status, type and created_by")
    func listFilters() throws {
        let api = try APIHarness()
        let a = try api.createTask(["type": "alpha"], owner: "alice")
        let b = try api.createTask(["type": "beta"], owner: "bob")
        let c = try api.createTask(["type": "alpha"], owner: "bob")
        let lease = try api.claimOne(["accept_types": ["beta"]])
        #expect(lease.taskID == b)

        func ids(_ query: String) throws -> [String] {
            let r = try api.get("/v1/tasks\(query)")
            expectOK(r)
            return r.json["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? []
        }
        #expect(try ids("") == [c, b, a])
        #expect(try ids("?status=queued") == [c, a])
        #expect(try ids("?status=leased") == [b])
        #expect(try ids("?status=succeeded") == [])
        #expect(try ids("?type=alpha") == [c, a])
        #expect(try ids("?created_by=bob") == [c, b])
        #expect(try ids("?created_by=ext:bob") == [c, b])
        #expect(try ids("?created_by=bob&type=alpha&status=queued") == [c])
        let full = try api.get("/v1/tasks")
        #expect(full.json["next_cursor"] == .null)
        #expect(full.json["tasks"]?[0]?["created_by"] == ["kind": "agent", "id": "bob"])
    }

    @Test("list pagination: next_cursor never skips or repeats rows that share a created_at")
    func listPaginationSharedTimestamps() throws {
        let api = try APIHarness()
        var created: [String] = []
        for _ in 0..<7 { created.append(try api.createTask()) }
        // Everything at the same instant: only the id tie-breaker orders them.
        try api.sql("UPDATE tasks SET created_at = '2025-01-01T00:00:00Z'")
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let r = try api.get("/v1/tasks?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
            expectOK(r)
            let page = r.json["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? []
            #expect(page.count <= 2)
            seen += page
            cursor = r.json["next_cursor"]?.stringValue
            if let cursor { #expect(cursor == page.last) }
            pages += 1
        } while cursor != nil && pages < 10
        #expect(seen.count == 7)
        #expect(Set(seen) == Set(created))
        #expect(seen == created.sorted().reversed(), "ties are ordered by id, descending")
    }

    @Test("list pagination is stable when tasks are created between pages")
    func listPaginationConcurrentInserts() throws {
        let api = try APIHarness()
        var created: [String] = []
        for _ in 0..<5 { created.append(try api.createTask()) }
        let first = try api.get("/v1/tasks?limit=2")
        var seen = first.json["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? []
        var cursor = first.json["next_cursor"]?.stringValue
        for _ in 0..<3 { try api.createTask() }  // newer: belong before page 1, never in later pages
        while let c = cursor {
            let r = try api.get("/v1/tasks?limit=2&cursor=\(c)")
            let page = r.json["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? []
            seen += page
            cursor = r.json["next_cursor"]?.stringValue
            if page.isEmpty { break }
        }
        #expect(seen == Array(created.reversed()))
    }

    @Test("GET /v1/tasks/running lists leased and running tasks only (with type/created_by filters)")
    func listRunning() throws {
        let api = try APIHarness()
        let queued = try api.createTask()
        let leased = try api.leasedTask(["type": "x"])
        let running = try api.leasedTask(["type": "y"])
        expectOK(try api.post("/v1/tasks/\(running.taskID)/running", .object(running.ref)))
        let done = try api.leasedTask()
        expectOK(try api.complete(done))

        let r = try api.get("/v1/tasks/running")
        expectOK(r)
        let ids = Set(r.json["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? [])
        #expect(ids == [leased.taskID, running.taskID])
        #expect(!ids.contains(queued))
        #expect(r.json["next_cursor"] == .null)
        let typed = try api.get("/v1/tasks/running?type=y")
        #expect(typed.json["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } == [running.taskID])
        let nobody = try api.get("/v1/tasks/running?created_by=nobody")
        #expect(nobody.json["tasks"] == [])
    }
}
