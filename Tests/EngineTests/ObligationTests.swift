import Domain
import Engine
import Foundation
import JSON
import Storage
import Testing
import TestSupport

@Suite struct ObligationTests {
    @Test func openAfterCreateClosedAfterCompleteWithArtifacts() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let open = try f.openObligations()
        #expect(open.map(\.taskID) == [id])
        #expect(open.first?.type == "task.assigned")
        let c = try #require(try f.claimOne())
        try f.engine.complete(shared, f.ref(c), result: [:], artifacts: [["uri": "x"]], deliveryProof: nil)
        #expect(try f.openObligations().isEmpty)
    }

    @Test func deliveryProofAlsoDischarges() throws {
        let f = try EngineFixture()
        _ = try f.create()
        let c = try #require(try f.claimOne())
        try f.engine.complete(shared, f.ref(c), result: [:], artifacts: nil, deliveryProof: ["sent_to": "inbox"])
        #expect(try f.openObligations().isEmpty)
    }

    @Test func stillOpenAfterCompleteWithoutArtifactsPlusAnomaly() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        try f.engine.complete(shared, f.ref(c), result: ["v": 1], artifacts: [], deliveryProof: nil)
        #expect(try f.task(id).status == .succeeded)
        #expect(try f.openObligations().map(\.taskID) == [id])
        let anomalies = try f.engine.ledger(shared, filter: LedgerFilter(taskID: id, leaseID: nil, receiptType: "system.anomaly", taskStatus: nil), since: nil, limit: 5)
        #expect(anomalies.first?.body["kind"] == "locatability_missing")
        let completed = try f.engine.ledger(shared, filter: LedgerFilter(taskID: id, leaseID: nil, receiptType: "task.completed", taskStatus: nil), since: nil, limit: 5)
        #expect(completed.first?.parents == [], "parents stripped")
    }

    @Test func strictLocatabilityRejects() throws {
        let f = try EngineFixture { $0.strictLocatability = true }
        let id = try f.create()
        let c = try #require(try f.claimOne())
        #expect(expectEngineError(.validation) { try f.engine.complete(shared, f.ref(c), result: [:], artifacts: nil, deliveryProof: nil) })
        #expect(try f.task(id).status == .leased)
    }

    @Test func closedAfterCancelAndCancelIsOwnerOnly() throws {
        let f = try EngineFixture()
        let id = try f.create()
        #expect(expectEngineError(.notOwner) { _ = try f.engine.cancelTask(shared, taskID: id, by: Principal(kind: .agent, id: "mallory"), reason: nil) })
        #expect(try f.openObligations().count == 1)
        let r = try f.engine.cancelTask(shared, taskID: id, by: alice, reason: "not needed")
        #expect(r == CancelResult(status: .canceled, changed: true))
        #expect(try f.openObligations().isEmpty)
        #expect(try f.receiptTypes(task: id) == ["task.assigned", "task.canceled", "task.result_ready"])
        // canceling again changes nothing
        #expect(try f.engine.cancelTask(shared, taskID: id, by: alice, reason: nil) == CancelResult(status: .canceled, changed: false))
        #expect(try f.receiptTypes(task: id).count == 3)
    }

    @Test func cancelReleasesTheLease() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        _ = try f.engine.cancelTask(shared, taskID: id, by: alice, reason: nil)
        #expect(expectEngineError(.leaseInvalidOrExpired) { try f.engine.complete(shared, f.ref(c), result: [:], artifacts: [["a": 1]], deliveryProof: nil) })
        #expect(try f.task(id).status == .canceled)
    }

    @Test func ackAppendsAcknowledgementWithParentOnce() throws {
        let f = try EngineFixture()
        _ = try f.create()
        let assigned = try #require(try f.openObligations().first)
        let ack1 = try f.engine.ackReceipt(shared, receiptID: assigned.receiptID, by: alice)
        let ack2 = try f.engine.ackReceipt(shared, receiptID: assigned.receiptID, by: alice)
        #expect(ack1 == ack2)
        let ack = try f.engine.getReceipt(shared, receiptID: ack1)
        #expect(ack.type == "receipt.acknowledged")
        #expect(ack.parents == [assigned.receiptID])
        #expect(ack.to == .asyncgate)
        // acknowledging never discharges an obligation
        #expect(try f.openObligations().count == 1)
        #expect(expectEngineError(.receiptNotFound) { _ = try f.engine.ackReceipt(shared, receiptID: UUID(), by: alice) })
    }

    @Test func paginationAndPrincipalScoping() throws {
        let f = try EngineFixture()
        var ids: [UUID] = []
        for _ in 0..<7 { ids.append(try f.create()) }
        _ = try f.create(owner: Principal(kind: .agent, id: "bob"))
        var seen: [UUID] = []
        var cursor: UUID?
        repeat {
            let page = try f.engine.openObligations(shared, principal: alice, since: cursor, limit: 3)
            seen += page.openObligations.compactMap(\.taskID)
            cursor = page.openObligations.isEmpty ? nil : page.cursor
        } while cursor != nil
        #expect(seen == ids)
        #expect(try f.openObligations(Principal(kind: .agent, id: "bob")).count == 1)
    }

    @Test func relationshipCountsSessions() throws {
        let f = try EngineFixture()
        let one = try f.engine.openObligations(shared, principal: alice, since: nil, limit: 10).relationship
        let two = try f.engine.openObligations(shared, principal: alice, since: nil, limit: 10).relationship
        #expect(one.sessionsCount == 1)
        #expect(two.sessionsCount == 2)
        #expect(two.firstSeenAt == one.firstSeenAt)
    }

    @Test func tenantsAreIsolated() throws {
        let f = try EngineFixture()
        let other = Caller(tenantID: UUID(), role: .shared, principal: nil)
        let id = try f.create()
        #expect(expectEngineError(.taskNotFound) { _ = try f.engine.getTask(other, taskID: id) })
        #expect(try f.engine.openObligations(other, principal: alice, since: nil, limit: 10).openObligations.isEmpty)
        #expect(try f.engine.claim(other, ClaimInput(worker: Principal(kind: .worker, id: "w"))).isEmpty)
    }

    @Test func receiptBodyLimit() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        let big = JSON.string(String(repeating: "x", count: 70_000))
        #expect(expectEngineError(.receiptTooLarge) { try f.engine.complete(shared, f.ref(c), result: ["blob": big], artifacts: [["a": 1]], deliveryProof: nil) })
        #expect(try f.task(id).status == .leased)
        let many = JSON.array((0..<101).map { _ in ["uri": "x"] })
        #expect(expectEngineError(.tooManyArtifacts) { try f.engine.complete(shared, f.ref(c), result: [:], artifacts: many, deliveryProof: nil) })
    }

    @Test func internalPrincipalsAreReserved() throws {
        let f = try EngineFixture()
        #expect(expectEngineError(.forbiddenPrincipal) { _ = try f.create(owner: Principal(kind: .agent, id: "svc:evil")) })
        #expect(expectEngineError(.forbiddenPrincipal) { _ = try f.create(owner: Principal(kind: .service, id: "sys:x")) })
        let admin = Caller(tenantID: tenant, role: .admin, principal: nil)
        #expect(throws: Never.self) { _ = try f.engine.createTask(admin, CreateTaskInput(owner: Principal(kind: .service, id: "svc:scheduler"), type: "t")) }
    }
}

@Suite struct MigrationTests {
    /// up -> down -> up from an empty database, as River tests its migrations.
    @Test func upDownUp() throws {
        let cluster = try TestPostgres.cluster()
        let conninfo = try cluster.createDatabase()
        let conn = try PostgresConnectionFactory.connect(conninfo)
        defer { conn.close() }
        let migrator = Migrator(logger: TestPostgres.logger)
        #expect(try migrator.migrate(conn) == Migration.embedded.map(\.version))
        #expect(try migrator.migrate(conn).isEmpty, "second run applies nothing")
        try migrator.rollback(conn, to: 0)
        #expect(try conn.query("SELECT to_regclass('public.tasks') IS NULL").first?.bool(0) == true)
        #expect(try migrator.migrate(conn) == Migration.embedded.map(\.version))
        #expect(try conn.query("SELECT count(*) FROM schema_migrations").first?.int(0) == Migration.embedded.count)
    }

    @Test func concurrentMigratorsApplyOnce() throws {
        let cluster = try TestPostgres.cluster()
        let conninfo = try cluster.createDatabase()
        concurrently(4) { _ in
            guard let conn = try? PostgresConnectionFactory.connect(conninfo) else { return }
            defer { conn.close() }
            _ = try? Migrator(logger: TestPostgres.logger).migrate(conn)
        }
        let conn = try PostgresConnectionFactory.connect(conninfo)
        defer { conn.close() }
        #expect(try conn.query("SELECT count(*) FROM schema_migrations").first?.int(0) == Migration.embedded.count)
    }
}
