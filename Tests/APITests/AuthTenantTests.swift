import Foundation
import JSON
import Testing

@Suite("Authentication (shared key) and tenants (insecure dev mode)")
struct AuthTenantTests {
    static let key = "ag_test_0123456789abcdef0123456789abcdef"
    static func keyed() throws -> APIHarness { try APIHarness(api: { $0.authentication = .sharedKey(key) }) }

    static let protectedRoutes: [(String, String)] = [
        ("GET", "/v1/config"), ("GET", "/v1/metrics"), ("POST", "/v1/tasks?principal_kind=agent&principal_id=alice"),
        ("GET", "/v1/tasks"), ("GET", "/v1/tasks/running"), ("GET", "/v1/tasks/7f0c1f7e-2b1a-4c1e-9a51-5d6b0e4c3a21"),
        ("POST", "/v1/tasks/7f0c1f7e-2b1a-4c1e-9a51-5d6b0e4c3a21/cancel"), ("POST", "/v1/leases/claim"), ("POST", "/v1/leases/renew"),
        ("POST", "/v1/tasks/7f0c1f7e-2b1a-4c1e-9a51-5d6b0e4c3a21/complete"), ("GET", "/v1/receipts?to_kind=agent&to_id=alice"),
        ("GET", "/v1/receipts/ledger?receipt_type=task.assigned"), ("GET", "/v1/obligations/open?principal_kind=agent&principal_id=alice"),
        ("GET", "/v1/bootstrap?principal_kind=agent&principal_id=alice"),
    ]

    @Test("no credential → 401 UNAUTHORIZED with WWW-Authenticate, nothing written", arguments: protectedRoutes)
    func missingKey(method: String, path: String) throws {
        let api = try Self.keyed()
        let body: [UInt8]? = method == "POST" ? Array(#"{"type": "echo", "worker_id": "w1"}"#.utf8) : nil
        let r = try api.expectUnchanged { try api.http.send(method, path, body: body, headers: [:]) }
        expectError(r, 401, "UNAUTHORIZED")
        #expect(r.header("WWW-Authenticate")?.lowercased().hasPrefix("bearer") == true)
    }

    @Test("wrong or malformed credential → 401", arguments: [
        ["Authorization": "Bearer wrong"], ["Authorization": "Bearer \(key)x"], ["Authorization": "Bearer"],
        ["Authorization": "Basic \(key)"], ["Authorization": key], ["X-API-Key": "nope"], ["X-API-Key": String(key.dropLast())],
    ])
    func wrongKey(headers: [String: String]) throws {
        let api = try Self.keyed()
        let r = try api.expectUnchanged {
            try api.post("/v1/tasks?principal_kind=agent&principal_id=alice", ["type": "echo"], headers: headers)
        }
        expectError(r, 401, "UNAUTHORIZED")
        #expect(r.header("WWW-Authenticate") != nil)
    }

    @Test("Bearer and X-API-Key are both accepted (Bearer scheme case-insensitive)")
    func acceptedSchemes() throws {
        let api = try Self.keyed()
        for headers in [["Authorization": "Bearer \(Self.key)"], ["Authorization": "bearer \(Self.key)"], ["X-API-Key": Self.key]] {
            let id = try api.createTask(headers: headers)
            let r = try api.get("/v1/tasks/\(id)", headers: headers)
            expectOK(r)
            #expect(r.json["task_id"]?.stringValue == id)
        }
    }

    @Test("health needs no credential with a key configured")
    func healthOpen() throws {
        let api = try Self.keyed()
        let r = try api.get("/v1/health")
        expectOK(r)
        #expect(r.json["status"] == "healthy")
    }

    @Test("unknown routes are 404 even without a credential (routing precedes auth; nothing leaks)")
    func unknownRouteWithoutKey() throws {
        let api = try Self.keyed()
        expectError(try api.get("/v1/nothing-here"), 404, "NOT_FOUND")
    }

    @Test("with real auth the tenant comes from the credential, never from X-Tenant-ID")
    func tenantHeaderIgnoredWithKey() throws {
        let api = try Self.keyed()
        let auth = ["Authorization": "Bearer \(Self.key)"]
        var spoofed = auth
        spoofed["X-Tenant-ID"] = "11111111-1111-1111-1111-111111111111"
        let id = try api.createTask(headers: spoofed)
        expectOK(try api.get("/v1/tasks/\(id)", headers: auth))
        #expect(try api.scalar("SELECT tenant_id::text FROM tasks") == "00000000-0000-0000-0000-000000000000")
        // an invalid header is not even looked at
        var garbage = auth
        garbage["X-Tenant-ID"] = "not-a-uuid"
        expectOK(try api.get("/v1/tasks/\(id)", headers: garbage))
    }

    // MARK: dev mode tenants

    @Test("dev mode: an invalid X-Tenant-ID → 400 INVALID_TENANT, nothing written",
          arguments: ["not-a-uuid", "1234", "00000000-0000-0000-0000-00000000000g"])
    func invalidTenant(header: String) throws {
        let api = try APIHarness()
        let r = try api.expectUnchanged {
            try api.post("/v1/tasks?principal_kind=agent&principal_id=alice", ["type": "echo"], headers: ["X-Tenant-ID": header])
        }
        expectError(r, 400, "INVALID_TENANT")
        expectError(try api.get("/v1/tasks", headers: ["X-Tenant-ID": header]), 400, "INVALID_TENANT")
    }

    @Test("dev mode: no X-Tenant-ID is the default tenant 00000000-…")
    func defaultTenant() throws {
        let api = try APIHarness()
        let id = try api.createTask()
        expectOK(try api.get("/v1/tasks/\(id)", headers: ["X-Tenant-ID": "00000000-0000-0000-0000-000000000000"]))
    }

    @Test("dev mode: two tenants, same principal, cannot see or touch each other's tasks, receipts or leases")
    func tenantIsolation() throws {
        let api = try APIHarness()
        let a = ["X-Tenant-ID": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"]
        let b = ["X-Tenant-ID": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"]
        let taskA = try api.createTask(["type": "echo", "idempotency_key": "same-key"], headers: a)
        // same idempotency key in another tenant is another task
        let taskB = try api.createTask(["type": "echo", "idempotency_key": "same-key"], headers: b)
        #expect(taskA != taskB)

        try api.expectUnchanged {
            expectError(try api.get("/v1/tasks/\(taskA)", headers: b), 404, "TASK_NOT_FOUND")
            let listB = try api.get("/v1/tasks", headers: b).json["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue }
            #expect(listB == [taskB])
            let receiptsB = try api.get("/v1/receipts?to_kind=agent&to_id=alice", headers: b).json["receipts"]?.arrayValue ?? []
            #expect(receiptsB.allSatisfy { $0["task_id"]?.stringValue == taskB })
            #expect(receiptsB.count == 1)
            let ledger = try api.get("/v1/receipts/ledger?task_id=\(taskA)", headers: b).json["receipts"]
            #expect(ledger == [])
            let assignedA = try #require(try api.get("/v1/receipts/ledger?task_id=\(taskA)", headers: a).json["receipts"]?[0]?["receipt_id"]?.stringValue)
            expectError(try api.get("/v1/receipts/\(assignedA)", headers: b), 404, "RECEIPT_NOT_FOUND")
            expectError(try api.post("/v1/receipts/\(assignedA)/ack", ["principal_kind": "agent", "principal_id": "alice"], headers: b),
                        404, "RECEIPT_NOT_FOUND")
            expectError(try api.post("/v1/tasks/\(taskA)/cancel", ["principal_kind": "agent", "principal_id": "alice"], headers: b),
                        404, "TASK_NOT_FOUND")
        }
        let obligationsB = try api.openObligations(headers: b).compactMap { $0["task_id"]?.stringValue }
        #expect(obligationsB == [taskB])

        // a worker in tenant B only ever sees tenant B's task
        let claimedB = try api.claim(worker: "w1", ["max_tasks": 10], headers: b)
        #expect(claimedB.compactMap { $0["task_id"]?.stringValue } == [taskB])
        let leaseB = try #require(claimedB.first?["lease_id"]?.stringValue)
        // tenant A's copy of the lease id/task id pair is unknown there
        let wrongTenant = try api.expectUnchanged {
            try api.post("/v1/tasks/\(taskB)/complete", ["worker_id": "w1", "lease_id": .string(leaseB), "artifacts": ["uri": "u"]], headers: a)
        }
        expectError(wrongTenant, 400, "LEASE_INVALID_OR_EXPIRED")
        #expect(try api.status(taskA, headers: a) == "queued")
        #expect(try api.get("/v1/metrics", headers: a).json["queue_sizes"]?["leased"] == .int(0))
        #expect(try api.get("/v1/metrics", headers: b).json["queue_sizes"]?["leased"] == .int(1))
    }
}

extension APIHarness {
    func status(_ id: String, headers: [String: String]) throws -> String? { try task(id, headers: headers)["status"]?.stringValue }
}
