import Foundation
import JSON
import Testing

@Suite("System endpoints: health, config, metrics, routing errors")
struct SystemEndpointTests {
    @Test("GET /v1/health answers healthy with service, version and instance id")
    func health() throws {
        let api = try APIHarness()
        let r = try api.get("/v1/health")
        expectOK(r)
        #expect(r.json["status"] == "healthy")
        #expect(r.json["service"] == "AsyncGate")
        #expect(r.json["version"]?.stringValue?.isEmpty == false)
        #expect(r.json["instance_id"]?.stringValue == api.engine.instanceID)
    }

    @Test("health ignores tenant headers (it needs no credential and reveals nothing)")
    func healthIgnoresTenant() throws {
        let api = try APIHarness()
        let r = try api.get("/v1/health", headers: ["X-Tenant-ID": "not-a-uuid"])
        expectOK(r)
        #expect(r.json["status"] == "healthy")
    }

    @Test("HEAD /v1/health: 200, headers only")
    func healthHead() throws {
        let api = try APIHarness()
        let r = try api.http.send("HEAD", "/v1/health", body: nil, headers: [:])
        #expect(r.status == 200)
        #expect(r.body.isEmpty)
        // the connection is still usable afterwards (no stray body bytes)
        expectOK(try api.get("/v1/config"))
    }

    @Test("database unreachable: health 503 unhealthy; operations 503 SERVICE_UNAVAILABLE with Retry-After")
    func databaseDown() throws {
        let api = try APIHarness()
        api.fixture.engineFixture.pool.close()
        let health = try api.get("/v1/health")
        #expect(health.status == 503)
        #expect(health.json["status"] == "unhealthy")
        let create = try api.post("/v1/tasks?principal_kind=agent&principal_id=alice", ["type": "echo"])
        expectError(create, 503, "SERVICE_UNAVAILABLE")
        #expect(create.header("Retry-After") != nil)
        expectError(try api.get("/v1/tasks"), 503, "SERVICE_UNAVAILABLE")
    }

    @Test("GET /v1/config: standalone receipt mode, instance id, capabilities, version")
    func config() throws {
        let api = try APIHarness()
        let r = try api.get("/v1/config")
        expectOK(r)
        #expect(r.json["receipt_mode"] == "standalone")
        #expect(r.json["instance_id"]?.stringValue == api.engine.instanceID)
        #expect(r.json["version"]?.stringValue?.isEmpty == false)
        let capabilities = r.json["capabilities"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!capabilities.isEmpty)
        #expect(capabilities.contains("leases"))
    }

    @Test("GET /v1/metrics: counters and queue sizes by status reflect what happened")
    func metrics() throws {
        let api = try APIHarness()
        let empty = try api.get("/v1/metrics")
        expectOK(empty)
        let emptySizes = try #require(empty.json["queue_sizes"]?.objectValue)
        for status in ["queued", "leased", "running", "succeeded", "failed", "canceled"] {
            #expect(emptySizes[status] == .int(0), "queue_sizes.\(status)")
        }
        #expect(empty.json["metrics"]?.objectValue != nil)

        let lease = try api.leasedTask()
        try api.createTask()
        try api.createTask()
        expectOK(try api.complete(lease))
        let r = try api.get("/v1/metrics")
        expectOK(r)
        #expect(r.json["queue_sizes"]?["queued"] == .int(2))
        #expect(r.json["queue_sizes"]?["succeeded"] == .int(1))
        #expect(r.json["queue_sizes"]?["leased"] == .int(0))
        #expect(r.json["metrics"]?["tasks_created"] == .int(3))
        #expect(r.json["metrics"]?["tasks_claimed"] == .int(1))
        #expect(r.json["metrics"]?["tasks_completed"] == .int(1))
    }

    @Test("unknown route → 404 JSON error", arguments: [
        ("GET", "/v1/nope"), ("GET", "/v2/tasks"), ("POST", "/v1/tasks/x/y/z"), ("GET", "/"), ("GET", "/v1/tasks/abc/cancel/extra"),
    ])
    func unknownRoute(method: String, path: String) throws {
        let api = try APIHarness()
        let r = try api.http.send(method, path, body: method == "POST" ? Array("{}".utf8) : nil, headers: [:])
        expectError(r, 404, "NOT_FOUND")
    }

    @Test("wrong method → 405 JSON error with Allow", arguments: [
        ("DELETE", "/v1/tasks", ["GET", "POST"]),
        ("PUT", "/v1/health", ["GET"]),
        ("GET", "/v1/leases/claim", ["POST"]),
        ("GET", "/v1/tasks/00000000-0000-0000-0000-000000000001/cancel", ["POST"]),
        ("POST", "/v1/tasks/running", ["GET"]),
        ("POST", "/v1/obligations/open", ["GET"]),
        ("DELETE", "/v1/receipts/00000000-0000-0000-0000-000000000001", ["GET"]),
    ])
    func wrongMethod(method: String, path: String, allowed: [String]) throws {
        let api = try APIHarness()
        let r = try api.expectUnchanged {
            try api.http.send(method, path, body: method == "GET" ? nil : Array("{}".utf8), headers: [:])
        }
        expectError(r, 405, "METHOD_NOT_ALLOWED")
        let allow = Set((r.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(allow == Set(allowed), "Allow: \(r.header("Allow") ?? "-")")
    }

    @Test("every success is 200 JSON and every UUID/timestamp on the wire is canonical")
    func wireConventions() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        let task = try api.task(id)
        #expect(isWireUUID(task["task_id"]))
        for field in ["created_at", "updated_at", "next_eligible_at"] {
            #expect(isWireTimestamp(task[field]), "\(field) = \(task[field]?.description ?? "nil")")
        }
        let receipt = try #require(try api.receipts(task: id).first)
        #expect(isWireUUID(receipt["receipt_id"]))
        #expect(isWireTimestamp(receipt["created_at"]))
    }
}
