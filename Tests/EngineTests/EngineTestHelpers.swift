import Domain
import Engine
import Foundation
import JSON
import Postgres
import Storage
import TestSupport

let tenant = Caller.defaultTenant
let shared = Caller(tenantID: tenant, role: .shared, principal: nil)
let alice = Principal(kind: .agent, id: "alice")

extension EngineFixture {
    func create(_ type: String = "echo", owner: Principal = alice, _ edit: (inout CreateTaskInput) -> Void = { _ in }) throws -> UUID {
        var input = CreateTaskInput(owner: owner, type: type)
        input.payload = ["n": 1]
        edit(&input)
        return try engine.createTask(shared, input).taskID
    }

    func claimOne(worker: String = "w1", _ edit: (inout ClaimInput) -> Void = { _ in }) throws -> ClaimedTask? {
        var input = ClaimInput(worker: Principal(kind: .worker, id: worker))
        edit(&input)
        return try engine.claim(shared, input).first
    }

    func ref(_ c: ClaimedTask, worker: String = "w1") -> LeaseRef {
        LeaseRef(taskID: c.task.taskID, leaseID: c.leaseID, workerID: worker)
    }

    func task(_ id: UUID) throws -> TaskRecord { try engine.getTask(shared, taskID: id) }

    func receiptTypes(task id: UUID) throws -> [String] {
        try engine.ledger(shared, filter: LedgerFilter(taskID: id, leaseID: nil, receiptType: nil, taskStatus: nil), since: nil, limit: 200).map(\.type)
    }

    func openObligations(_ p: Principal = alice) throws -> [ReceiptRecord] {
        try engine.openObligations(shared, principal: p, since: nil, limit: 200).openObligations
    }

    func count(_ sql: String, _ binds: [(any PostgresBindable)?] = []) throws -> Int {
        try self.sql(sql, binds).first?.int(0) ?? -1
    }

    /// Moves a lease's expiry into the past (the clock the sweep reads is the database's).
    func expireLease(_ leaseID: UUID) throws {
        _ = try sql("UPDATE leases SET expires_at = now() - interval '1 second' WHERE lease_id = $1", [leaseID])
    }
}

func expectEngineError(_ code: EngineError.Code, _ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch let e as EngineError {
        return e.code == code
    } catch {
        return false
    }
}

/// Runs `count` closures on real threads at once and waits for all.
func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread { body(i); group.leave() }.start()
    }
    group.wait()
}

enum PostgresConnectionFactory {
    static func connect(_ conninfo: String) throws -> PostgresConnection {
        try PostgresConnection.connect(conninfo, logger: TestPostgres.logger)
    }
}
