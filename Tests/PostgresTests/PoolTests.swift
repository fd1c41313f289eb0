import Dispatch
import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Connection pool")
struct PoolTests {
    @Test func borrowersBeyondSizeWaitThenTimeOut() throws {
        let pool = PostgresPool(conninfo: try makeDatabase(), size: 2, logger: TestPostgres.logger)
        defer { pool.close() }
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<2 {
            done.enter()
            Thread {
                try? pool.withConnection { _ in
                    holding.signal()
                    release.wait()
                }
                done.leave()
            }.start()
        }
        holding.wait()
        holding.wait()
        #expect(pool.inUse == 2)

        let started = Date()
        let error = try #require(throws: PostgresError.self) {
            try pool.withConnection(timeout: 0.2) { _ in }
        }
        #expect(error.code == .poolTimeout)
        #expect(Date().timeIntervalSince(started) >= 0.2)

        // A waiting borrower gets the first connection handed back.
        let waiterGotConnection = LockedBox(false)
        done.enter()
        Thread {
            let ok = (try? pool.withConnection(timeout: 30) { try $0.query("SELECT 1")[0].int(0) == 1 }) ?? false
            waiterGotConnection.withLock { $0 = ok }
            done.leave()
        }.start()
        release.signal()
        release.signal()
        done.wait()
        #expect(waiterGotConnection.current)
        #expect(pool.inUse == 0)
        #expect(pool.openConnections <= 2)
    }

    @Test func connectionsAreReusedAndOpenedLazily() throws {
        let pool = PostgresPool(conninfo: try makeDatabase(), size: 4, logger: TestPostgres.logger)
        defer { pool.close() }
        #expect(pool.openConnections == 0)
        let first = try pool.withConnection { $0.backendPID }
        let second = try pool.withConnection { $0.backendPID }
        #expect(first == second)
        #expect(pool.openConnections == 1)
        #expect(pool.size == 4)
    }

    @Test func connectionTerminatedWhileIdleIsReplaced() throws {
        let conninfo = try makeDatabase()
        let pool = PostgresPool(conninfo: conninfo, size: 1, logger: TestPostgres.logger)
        defer { pool.close() }
        let admin = try connect(conninfo)
        defer { admin.close() }
        let pid = try pool.withConnection { $0.backendPID }
        // The two-argument form waits (up to 5 s) until the backend has really exited.
        #expect(try admin.query("SELECT pg_terminate_backend($1::int, 5000)", [pid])[0].bool(0) == true)
        let newPID = try pool.withConnection { connection throws -> Int32 in
            #expect(try connection.query("SELECT 1")[0].int(0) == 1)
            return connection.backendPID
        }
        #expect(newPID != pid)
        #expect(pool.openConnections == 1)
    }

    @Test func connectionBrokenDuringUseIsDiscardedAndThePoolRecovers() throws {
        let conninfo = try makeDatabase()
        let pool = PostgresPool(conninfo: conninfo, size: 1, logger: TestPostgres.logger)
        defer { pool.close() }
        let admin = try connect(conninfo)
        defer { admin.close() }
        var firstPID: Int32 = 0
        let error = try #require(throws: PostgresError.self) {
            try pool.withConnection { connection in
                firstPID = connection.backendPID
                _ = try admin.query("SELECT pg_terminate_backend($1::int, 5000)", [firstPID])
                try connection.query("SELECT 1")
            }
        }
        #expect(error.code == .connectionBroken)
        #expect(pool.inUse == 0)
        #expect(pool.openConnections == 0, "the broken connection was closed, not pooled")
        let secondPID = try pool.withConnection { connection throws -> Int32 in
            #expect(try connection.query("SELECT 1")[0].int(0) == 1)
            return connection.backendPID
        }
        #expect(secondPID != firstPID)
    }

    @Test func connectionReturnedInsideATransactionIsRolledBack() throws {
        let pool = PostgresPool(conninfo: try makeDatabase(), size: 1, logger: TestPostgres.logger)
        defer { pool.close() }
        try pool.withConnection { try $0.execute("CREATE TABLE t (x int)") }
        try pool.withConnection { connection in
            try connection.execute("BEGIN")
            try connection.query("INSERT INTO t VALUES ($1)", [1])
        }
        #expect(try pool.withConnection { try $0.query("SELECT count(*) FROM t")[0].int(0) } == 0)
    }

    /// Plan refresh: the prepared statements (and their cached plans) are dropped when due, only
    /// between transactions, at growing intervals; statements keep working (prepared again).
    @Test func plansAreRefreshedWhenDueAndOnlyBetweenTransactions() throws {
        let pool = PostgresPool(conninfo: try makeDatabase(), size: 1, logger: TestPostgres.logger, refreshPlans: true)
        defer { pool.close() }
        func preparedCount(_ db: PostgresConnection) throws -> Int {
            try db.query("SELECT count(*)::int FROM pg_prepared_statements WHERE name <> ''").first?.int(0) ?? -1
        }
        try pool.withConnection { (db: PostgresConnection) throws -> Void in
            #expect(try db.query("SELECT $1::int + 1", [41]).first?.int(0) == 42)
            #expect(try preparedCount(db) >= 1)
            #expect(try !db.refreshPlansIfDue(), "not due yet")
            let later = ContinuousClock.now + .seconds(6)
            let insideTransaction = try db.transaction { tx in try tx.refreshPlansIfDue(now: later) }
            #expect(!insideTransaction, "never inside a transaction")
            #expect(try db.refreshPlansIfDue(now: later))
            #expect(try preparedCount(db) == 1, "only the statement that counts them")
            #expect(try !db.refreshPlansIfDue(now: later + .seconds(3)), "the next interval is 4 s")
            #expect(try db.refreshPlansIfDue(now: later + .seconds(5)))
            #expect(try !db.refreshPlansIfDue(now: later + .seconds(12)), "then 8 s")
            #expect(try db.refreshPlansIfDue(now: later + .seconds(14)))
            #expect(try db.query("SELECT $1::int + 1", [41]).first?.int(0) == 42, "prepared again on use")
        }
    }

    @Test func closedPoolRefusesBorrowers() throws {
        let pool = PostgresPool(conninfo: try makeDatabase(), size: 2, logger: TestPostgres.logger)
        try pool.withConnection { _ in }
        pool.close()
        #expect(pool.openConnections == 0)
        let error = try #require(throws: PostgresError.self) { try pool.withConnection { _ in } }
        #expect(error.code == .poolClosed)
    }
}
