import Foundation
import JSON
import Testing

@Suite("POST /v1/leases/renew")
struct RenewTests {
    @Test("renew extends expires_at by extend_by_seconds and counts the renewal")
    func renew() throws {
        let api = try APIHarness()
        try api.createTask()
        let lease = try api.claimOne(["lease_ttl_seconds": 60])
        let r = try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": 600]))
        expectOK(r)
        #expect(r.json["ok"] == true)
        expectNear(parseTimestamp(r.json["expires_at"]), Date().addingTimeInterval(600), "expires_at")
        #expect(try api.count("SELECT renewal_count FROM leases") == 1)
        // a second renewal moves it again and is counted again
        let d = try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": 900]))
        expectOK(d)
        expectNear(parseTimestamp(d.json["expires_at"]), Date().addingTimeInterval(900), "expires_at")
        #expect(try api.count("SELECT renewal_count FROM leases") == 2)
        #expect(try api.scalar("SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM leases")
                == d.json["expires_at"]?.stringValue.map { String($0.prefix(19)) })
    }

    @Test("renew works while the task is running")
    func renewRunning() throws {
        let api = try APIHarness()
        try api.createTask()
        let lease = try api.claimOne(["lease_ttl_seconds": 60])
        expectOK(try api.post("/v1/tasks/\(lease.taskID)/running", .object(lease.ref)))
        let r = try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": 120]))
        expectOK(r)
        expectNear(parseTimestamp(r.json["expires_at"]), Date().addingTimeInterval(120), "expires_at")
        #expect(try api.status(lease.taskID) == "running")
    }

    @Test("renew without extend_by_seconds extends by the default TTL")
    func renewDefault() throws {
        let api = try APIHarness()
        try api.createTask()
        let lease = try api.claimOne(["lease_ttl_seconds": 60])
        let r = try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID)]))
        expectOK(r)
        expectNear(parseTimestamp(r.json["expires_at"]), Date().addingTimeInterval(300), "expires_at")
    }

    /// A worker renewing early with a short extension (a heartbeat: "keep it alive another 60 s")
    /// is far from any lifetime limit; refusing it as LEASE_LIFETIME_EXCEEDED tells the worker to
    /// give up a lease it may keep.
    @Test("renewing a fresh lease with an extension shorter than its remaining TTL is not a lifetime violation")
    func renewShortExtension() throws {
        let api = try APIHarness()
        try api.createTask()
        let lease = try api.claimOne()  // 300 s TTL
        let r = try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": 60]))
        #expect(r.status == 200, "got \(r.status) \(r.text)")
        #expect(r.errorCode != "LEASE_LIFETIME_EXCEEDED")
        if let expires = parseTimestamp(r.json["expires_at"]) {
            #expect(expires >= Date().addingTimeInterval(50), "the lease must stay alive at least the requested 60 s")
        }
    }

    @Test("renewal count limit → 409 LEASE_RENEWAL_LIMIT_EXCEEDED, lease untouched")
    func renewalLimit() throws {
        let api = try APIHarness(configure: { $0.maxLeaseRenewals = 2 })
        try api.createTask()
        let lease = try api.claimOne(["lease_ttl_seconds": 60])
        for extend in [120, 180] {
            expectOK(try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": .int(Int64(extend))])))
        }
        let r = try api.expectUnchanged {
            try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": 240]))
        }
        expectError(r, 409, "LEASE_RENEWAL_LIMIT_EXCEEDED")
        // the worker may still finish
        expectOK(try api.complete(lease))
    }

    @Test("lease lifetime limit → 409 LEASE_LIFETIME_EXCEEDED, lease untouched")
    func lifetimeLimit() throws {
        let api = try APIHarness()
        try api.createTask()
        let lease = try api.claimOne(["lease_ttl_seconds": 60])
        // the lease was acquired just over max_lease_lifetime_seconds (7200) ago
        try api.sql("UPDATE leases SET acquired_at = now() - interval '7201 seconds'")
        let r = try api.expectUnchanged {
            try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": 60]))
        }
        expectError(r, 409, "LEASE_LIFETIME_EXCEEDED")
    }

    @Test("lease lifetime limit configured small: the lease cannot be renewed past it")
    func lifetimeLimitConfigured() throws {
        let api = try APIHarness(configure: { $0.maxLeaseLifetimeSeconds = 30 })
        try api.createTask()
        let lease = try api.claimOne(["lease_ttl_seconds": 30])
        let r = try api.expectUnchanged {
            try api.post("/v1/leases/renew", lease.with(["task_id": .string(lease.taskID), "extend_by_seconds": 300]))
        }
        expectError(r, 409, "LEASE_LIFETIME_EXCEEDED")
    }
}
