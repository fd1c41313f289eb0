import Domain
import Engine
import Foundation
import JSON
import Postgres
import Storage
import Testing
import TestSupport

@Suite struct RowLevelSecurityTests {
    /// Defence in depth: even a query WITHOUT a tenant filter, run through the server's pool (the
    /// unprivileged RLS role), sees only the tenant named by the session; unset sees nothing.
    @Test func queriesWithoutTenantFilterStayInTheirTenant() throws {
        let f = try EngineFixture()
        let tenantB = UUID()
        let a = try f.create()
        _ = try f.engine.createTask(Caller(tenantID: tenantB, role: .shared, principal: nil), CreateTaskInput(owner: alice, type: "b"))
        try f.pool.withConnection { db in
            try TenantScope.apply(db, tenant: tenant)
            let rows = try db.query("SELECT task_id FROM tasks")
            #expect(rows.map { $0.uuid(0) } == [a])
            #expect(try db.query("SELECT count(*) FROM receipts").first?.int(0) == 1)
            try TenantScope.apply(db, tenant: tenantB)
            #expect(try db.query("SELECT type FROM tasks").map { $0.string(0) } == ["b"])
            // writing a row for another tenant is refused by the policy's WITH CHECK
            #expect(throws: PostgresError.self) {
                try db.query("UPDATE tasks SET tenant_id = $1", [tenant])
            }
            try db.execute("RESET app.tenant_id")
            db.sessionState.removeAll()
            #expect(try db.query("SELECT count(*) FROM tasks").first?.int(0) == 0, "no tenant set: fail closed")
            #expect(try db.query("SELECT current_user").first?.string(0) == "asyncgate_app")
        }
    }

    @Test func sameTaskIDInTwoTenantsNeverCrosses() throws {
        let f = try EngineFixture()
        let tenantB = UUID()
        let id = try f.create { $0.payload = ["owner": "A"] }
        // force the same task id into tenant B (ids are random, so only SQL can do this)
        _ = try f.sql("""
            INSERT INTO tasks (tenant_id, task_id, type, payload, created_by_kind, created_by_id, assigned_receipt_id)
            VALUES ($1, $2, 'echo', '{"owner":"B"}', 'agent', 'alice', $3)
            """, [tenantB, id, UUID()])
        let callerB = Caller(tenantID: tenantB, role: .shared, principal: nil)
        #expect(try f.engine.getTask(shared, taskID: id).payload == ["owner": "A"])
        #expect(try f.engine.getTask(callerB, taskID: id).payload == ["owner": "B"])
        _ = try f.engine.cancelTask(callerB, taskID: id, by: alice, reason: nil)
        #expect(try f.engine.getTask(shared, taskID: id).status == .queued)
        #expect(try f.engine.getTask(callerB, taskID: id).status == .canceled)
    }
}

@Suite struct APIKeyTests {
    @Test func createAuthenticateRevoke() throws {
        let f = try EngineFixture()
        let created = try f.engine.createAPIKey(tenantID: tenant, principal: alice, role: .agent, scopes: [], name: "t", expiresAt: nil)
        #expect(created.key.hasPrefix("ag_"))
        #expect(created.key.count == 47)
        let caller = try #require(try f.engine.authenticateAPIKey(created.key))
        #expect(caller.tenantID == tenant)
        #expect(caller.role == .agent)
        #expect(caller.principal == alice)
        // only the hash is stored
        #expect(try f.count("SELECT count(*) FROM api_keys WHERE key_hash = $1", [APIKeyFormat.hash(created.key)]) == 1)
        #expect(try f.count("SELECT count(*) FROM api_keys WHERE key_hash = $1 OR key_id = $1", [created.key]) == 0)
        // a wrong secret with a valid key id is refused
        var tampered = Array(created.key)
        tampered[tampered.count - 1] = tampered.last == "a" ? "b" : "a"
        #expect(try f.engine.authenticateAPIKey(String(tampered)) == nil)
        try f.engine.revokeAPIKey(keyID: created.record.keyID)
        #expect(try f.engine.authenticateAPIKey(created.key) == nil)
        #expect(try f.engine.authenticateAPIKey("ag_short") == nil)
    }

    @Test func expiredKeyIsRefused() throws {
        let f = try EngineFixture()
        let created = try f.engine.createAPIKey(tenantID: tenant, principal: alice, role: .agent, scopes: [], name: nil,
                                                expiresAt: Date(timeIntervalSinceNow: -1))
        #expect(try f.engine.authenticateAPIKey(created.key) == nil)
    }

    @Test func rotationKeepsBothValidDuringOverlapOnly() throws {
        let f = try EngineFixture()
        let old = try f.engine.createAPIKey(tenantID: tenant, principal: alice, role: .agent, scopes: ["tasks"], name: nil, expiresAt: nil)
        let new = try f.engine.rotateAPIKey(keyID: old.record.keyID, overlapSeconds: 3600)
        #expect(new.record.rotatedFrom == old.record.keyID)
        #expect(new.record.principal == alice)
        #expect(try f.engine.authenticateAPIKey(old.key) != nil)
        #expect(try f.engine.authenticateAPIKey(new.key) != nil)
        _ = try f.sql("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE key_id = $1", [old.record.keyID])
        #expect(try f.engine.authenticateAPIKey(old.key) == nil)
        #expect(try f.engine.authenticateAPIKey(new.key) != nil)
    }

    @Test func keysAreUniformBase62() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let (key, id) = APIKeyFormat.generate()
            #expect(APIKeyFormat.keyID(of: key) == id)
            seen.insert(key)
        }
        #expect(seen.count == 200)
        #expect(APIKeyFormat.keyID(of: "ag_" + String(repeating: "!", count: 44)) == nil)
    }
}

@Suite struct PermissionTests {
    let bob = Principal(kind: .agent, id: "bob")

    func caller(_ role: Caller.Role, _ p: Principal) -> Caller { Caller(tenantID: tenant, role: role, principal: p) }

    @Test func agentsCannotLeaseWorkersCannotCreateOrCancel() throws {
        let f = try EngineFixture()
        let agent = caller(.agent, alice)
        let worker = caller(.worker, Principal(kind: .worker, id: "w1"))
        let id = try f.engine.createTask(agent, CreateTaskInput(owner: alice, type: "echo")).taskID
        #expect(expectEngineError(.forbidden) { _ = try f.engine.claim(agent, ClaimInput(worker: Principal(kind: .worker, id: "alice"))) })
        #expect(expectEngineError(.forbidden) { _ = try f.engine.createTask(worker, CreateTaskInput(owner: alice, type: "x")) })
        #expect(expectEngineError(.forbidden) { _ = try f.engine.cancelTask(worker, taskID: id, by: alice, reason: nil) })
        #expect(try f.count("SELECT count(*) FROM tasks") == 1)
        #expect(try f.task(id).status == .queued)
    }

    @Test func boundPrincipalCannotBeImpersonated() throws {
        let f = try EngineFixture()
        let agent = caller(.agent, alice)
        #expect(expectEngineError(.forbiddenPrincipal) { _ = try f.engine.createTask(agent, CreateTaskInput(owner: bob, type: "x")) })
        let id = try f.engine.createTask(caller(.agent, bob), CreateTaskInput(owner: bob, type: "x")).taskID
        #expect(expectEngineError(.forbiddenPrincipal) { _ = try f.engine.cancelTask(agent, taskID: id, by: bob, reason: nil) })
        #expect(expectEngineError(.notOwner) { _ = try f.engine.cancelTask(agent, taskID: id, by: alice, reason: nil) })
        #expect(expectEngineError(.taskNotFound) { _ = try f.engine.getTask(agent, taskID: id) })
        #expect(expectEngineError(.forbiddenPrincipal) { _ = try f.engine.openObligations(agent, principal: bob, since: nil, limit: 10) })
        #expect(expectEngineError(.forbiddenPrincipal) { _ = try f.engine.listReceipts(agent, to: bob, since: nil, limit: 10) })
        #expect(try f.engine.listTasks(agent, filter: TaskListFilter(statuses: nil, type: nil, createdByID: nil, cursor: nil, limit: 50)).isEmpty)
        let worker = caller(.worker, Principal(kind: .worker, id: "w1"))
        var claimAsOther = ClaimInput(worker: Principal(kind: .worker, id: "w2"))
        claimAsOther.maxTasks = 1
        #expect(expectEngineError(.forbiddenPrincipal) { _ = try f.engine.claim(worker, claimAsOther) })
        #expect(try f.task(id).status == .queued)
    }

    @Test func leaseMutationsNeedTheHolder() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let w1 = caller(.worker, Principal(kind: .worker, id: "w1"))
        let w2 = caller(.worker, Principal(kind: .worker, id: "w2"))
        let c = try #require(try f.engine.claim(w1, ClaimInput(worker: Principal(kind: .worker, id: "w1"))).first)
        // w2 cannot use w1's lease, neither by naming itself nor by naming w1
        #expect(expectEngineError(.leaseInvalidOrExpired) { try f.engine.complete(w2, LeaseRef(taskID: id, leaseID: c.leaseID, workerID: "w2"), result: [:], artifacts: [["a": 1]], deliveryProof: nil) })
        #expect(expectEngineError(.forbiddenPrincipal) { try f.engine.complete(w2, LeaseRef(taskID: id, leaseID: c.leaseID, workerID: "w1"), result: [:], artifacts: [["a": 1]], deliveryProof: nil) })
        // workers read tasks they leased, not others
        #expect(try f.engine.getTask(w1, taskID: id).taskID == id)
        #expect(expectEngineError(.taskNotFound) { _ = try f.engine.getTask(w2, taskID: id) })
        #expect(expectEngineError(.forbidden) { _ = try f.engine.listTasks(w1, filter: TaskListFilter(statuses: nil, type: nil, createdByID: nil, cursor: nil, limit: 5)) })
        try f.engine.complete(w1, LeaseRef(taskID: id, leaseID: c.leaseID, workerID: "w1"), result: [:], artifacts: [["a": 1]], deliveryProof: nil)
        #expect(try f.task(id).status == .succeeded)
    }

    @Test func adminMayDoEverythingInItsTenantOnly() throws {
        let f = try EngineFixture()
        let admin = caller(.admin, Principal(kind: .human, id: "root"))
        let id = try f.engine.createTask(caller(.agent, bob), CreateTaskInput(owner: bob, type: "x")).taskID
        #expect(try f.engine.getTask(admin, taskID: id).taskID == id)
        #expect(try f.engine.cancelTask(admin, taskID: id, by: Principal(kind: .human, id: "root"), reason: "ops").changed)
        let otherAdmin = Caller(tenantID: UUID(), role: .admin, principal: Principal(kind: .human, id: "root"))
        #expect(expectEngineError(.taskNotFound) { _ = try f.engine.getTask(otherAdmin, taskID: id) })
    }
}
