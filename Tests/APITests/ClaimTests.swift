import Foundation
import JSON
import Testing

@Suite("POST /v1/leases/claim")
struct ClaimTests {
    @Test("claim returns every field a worker reads, and emits task.accepted (parents=[assigned]) from the worker")
    func claimShape() throws {
        let api = try APIHarness()
        let id = try api.createTask(TaskEndpointTests.fullBody)
        let tasks = try api.claim(worker: "w1", ["worker_kind": "worker", "worker_instance_id": "w1-a",
                                                 "capabilities": ["gpu", "cpu"], "lease_ttl_seconds": 60])
        try #require(tasks.count == 1)
        let c = tasks[0]
        #expect(c["task_id"]?.stringValue == id)
        #expect(isWireUUID(c["lease_id"]))
        #expect(c["type"] == "render")
        #expect(c["payload"] == ["scene": "a", "frames": [1, 2, 3]])
        #expect(c["payload_pointer"] == "s3://bucket/in.json")
        #expect(c["principal_ai"] == "claude")
        #expect(c["attempt"] == 0)
        #expect(c["requirements"] == ["capabilities": ["gpu"], "tags": ["fast"]])
        #expect(c["expected_outcome_kind"] == "artifact")
        #expect(c["expected_artifact_mime"] == "image/png")
        #expect(isWireTimestamp(c["expires_at"]))
        expectNear(parseTimestamp(c["expires_at"]), Date().addingTimeInterval(60), "expires_at")

        #expect(try api.status(id) == "leased")
        let receipts = try api.receipts(task: id)
        #expect(receipts.compactMap { $0["receipt_type"]?.stringValue } == ["task.assigned", "task.accepted"])
        #expect(receipts[1]["from"] == ["kind": "worker", "id": "w1"])
        #expect(receipts[1]["to"] == ["kind": "agent", "id": "alice"])
        #expect(receipts[1]["parents"] == [receipts[0]["receipt_id"]!])
        #expect(receipts[1]["lease_id"] == c["lease_id"])
        #expect(try api.scalar("SELECT worker_instance_id FROM leases") == "w1-a")
    }

    @Test("default lease TTL is 300 s")
    func defaultTTL() throws {
        let api = try APIHarness()
        try api.createTask()
        let lease = try api.claimOne()
        expectNear(parseTimestamp(lease.claimed["expires_at"]), Date().addingTimeInterval(300), "expires_at")
    }

    @Test("idle: {\"tasks\": []}")
    func idle() throws {
        let api = try APIHarness()
        let r = try api.expectUnchanged { try api.post("/v1/leases/claim", ["worker_id": "w1"]) }
        expectOK(r)
        #expect(r.json == ["tasks": []])
    }

    @Test("capabilities: required ⊆ offered; no requirements → any worker")
    func capabilities() throws {
        let api = try APIHarness()
        let needsBoth = try api.createTask(["type": "t", "requirements": ["capabilities": ["gpu", "cuda"]]])
        #expect(try api.claim(["capabilities": ["gpu"]]).isEmpty, "a worker with only gpu must not get gpu+cuda")
        #expect(try api.claim().isEmpty, "a worker offering nothing gets nothing requiring something")
        let got = try api.claim(["capabilities": ["cuda", "x", "gpu"]])
        #expect(got.compactMap { $0["task_id"]?.stringValue } == [needsBoth])

        let free = try api.createTask(["type": "t"])
        #expect(try api.claim().compactMap { $0["task_id"]?.stringValue } == [free])
        let free2 = try api.createTask(["type": "t", "requirements": ["capabilities": []]])
        #expect(try api.claim(["capabilities": ["anything"]]).compactMap { $0["task_id"]?.stringValue } == [free2])
    }

    @Test("capability and type filters run before the limit: ineligible older tasks never starve a claim")
    func filtersBeforeLimit() throws {
        let api = try APIHarness()
        for _ in 0..<5 { try api.createTask(["type": "gpu-job", "priority": 10, "requirements": ["capabilities": ["gpu"]]]) }
        for _ in 0..<5 { try api.createTask(["type": "other", "priority": 10]) }
        let plain = try api.createTask(["type": "plain"])
        let tasks = try api.claim(["accept_types": ["plain", "gpu-job"], "max_tasks": 1])
        #expect(tasks.compactMap { $0["task_id"]?.stringValue } == [plain])
    }

    @Test("accept_types: only the listed types; absent = any type")
    func acceptTypes() throws {
        let api = try APIHarness()
        let a = try api.createTask(["type": "a"])
        let b = try api.createTask(["type": "b"])
        #expect(try api.claim(["accept_types": ["zzz"]]).isEmpty)
        #expect(try api.claim(["accept_types": ["b"]]).compactMap { $0["task_id"]?.stringValue } == [b])
        #expect(try api.claim(["max_tasks": 10]).compactMap { $0["task_id"]?.stringValue } == [a])
    }

    /// The first implementation filtered with `if accept_types:`, so an empty list meant "any type";
    /// clients that always send the field (empty by default) relied on that and must keep working.
    @Test("accept_types: [] means any type, like an absent field (compatibility with the first implementation)")
    func emptyAcceptTypes() throws {
        let api = try APIHarness()
        let id = try api.createTask(["type": "anything"])
        let tasks = try api.claim(["accept_types": []])
        #expect(tasks.compactMap { $0["task_id"]?.stringValue } == [id])
    }

    @Test("order: priority descending, then oldest first")
    func order() throws {
        let api = try APIHarness()
        let low = try api.createTask(["type": "t", "priority": 0])
        let highOld = try api.createTask(["type": "t", "priority": 5])
        let highNew = try api.createTask(["type": "t", "priority": 5])
        let mid = try api.createTask(["type": "t", "priority": 1])
        let negative = try api.createTask(["type": "t", "priority": -3])
        let tasks = try api.claim(["max_tasks": 10])
        #expect(tasks.compactMap { $0["task_id"]?.stringValue } == [highOld, highNew, mid, low, negative])
        // one at a time gives the same order
        let api2 = try APIHarness()
        let x = try api2.createTask(["type": "t", "priority": 0])
        let y = try api2.createTask(["type": "t", "priority": 9])
        let z = try api2.createTask(["type": "t", "priority": 0])
        #expect(try api2.claimOne().taskID == y)
        #expect(try api2.claimOne().taskID == x)
        #expect(try api2.claimOne().taskID == z)
    }

    @Test("max_tasks bounds a claim (default 1)")
    func maxTasks() throws {
        let api = try APIHarness()
        for _ in 0..<5 { try api.createTask() }
        #expect(try api.claim().count == 1)
        #expect(try api.claim(["max_tasks": 3]).count == 3)
        #expect(try api.claim(["max_tasks": 10]).count == 1)
        #expect(try api.claim(["max_tasks": 10]).isEmpty)
        #expect(try api.count("SELECT count(DISTINCT task_id) FROM leases") == 5)
    }

    @Test("a delayed task is not claimable before its delay, and is afterwards")
    func delayed() throws {
        let api = try APIHarness()
        let id = try api.createTask(["type": "echo", "delay_seconds": 3600])
        #expect(try api.expectUnchanged { try api.claim() }.isEmpty)
        try api.makeEligible(id)
        #expect(try api.claimOne().taskID == id)
    }

    @Test("a leased task is never handed to a second worker")
    func noDoubleLease() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        #expect(try api.claimOne(worker: "w1").taskID == id)
        #expect(try api.claim(worker: "w2").isEmpty)
    }

    @Test("a lease_ttl_seconds inside 10...1800 is honoured at both ends")
    func ttlBounds() throws {
        let api = try APIHarness()
        try api.createTask()
        try api.createTask()
        let short = try api.claimOne(["lease_ttl_seconds": 10])
        expectNear(parseTimestamp(short.claimed["expires_at"]), Date().addingTimeInterval(10), "expires_at")
        let long = try api.claimOne(["lease_ttl_seconds": 1800])
        expectNear(parseTimestamp(long.claimed["expires_at"]), Date().addingTimeInterval(1800), "expires_at")
    }
}
