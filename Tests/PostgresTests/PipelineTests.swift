import Postgres
import Testing

@Suite("Pipeline mode and pipelined transactions")
struct PipelineTests {
    private func setUp() throws -> (conninfo: String, connection: PostgresConnection) {
        let conninfo = try makeDatabase()
        let connection = try connect(conninfo)
        try connection.execute("CREATE TABLE items (name text PRIMARY KEY)")
        return (conninfo, connection)
    }

    private func names(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("SELECT name FROM items ORDER BY name").compactMap { $0.string(0) }
    }

    private func preparedCount(_ connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM pg_prepared_statements").first?.int(0) ?? -1
    }

    @Test("a pipeline is one implicit transaction: a LOCAL setting of its first statement holds for the rest, then ends")
    func localSettingSpansThePipelineOnly() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        // The obligations page relies on this: its relationship upsert commits asynchronously,
        // and the connection's next transaction (a create, say) must be durable again.
        try connection.execute("SET synchronous_commit = on")  // the test cluster runs with it off
        let results = try connection.pipeline([
            ("SELECT set_config('synchronous_commit', 'off', true)", []),
            ("INSERT INTO items VALUES ($1)", ["a"]),
            ("SELECT current_setting('synchronous_commit')", []),
        ])
        #expect(results[2].first?.string(0) == "off")
        #expect(try connection.query("SELECT current_setting('synchronous_commit')").first?.string(0) == "on")
        #expect(try names(connection) == ["a"], "the asynchronous commit still commits")
    }

    @Test func resultsComeBackInOrder() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        let results = try connection.pipeline([
            ("INSERT INTO items VALUES ($1) RETURNING name", ["a"]),
            ("INSERT INTO items VALUES ($1), ($2)", ["b", "c"]),
            ("SELECT count(*) FROM items", []),
        ])
        #expect(results.count == 3)
        #expect(results[0].first?.string(0) == "a")
        #expect(results[1].affectedRows == 2)
        #expect(results[2].first?.int(0) == 3, "later statements see earlier ones")
        #expect(try connection.pipeline([]).isEmpty)
    }

    @Test func aFailureKeepsItsSQLStateAndUndoesTheWholePipeline() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        do {
            _ = try connection.pipeline([
                ("INSERT INTO items VALUES ($1)", ["x"]),
                ("INSERT INTO items VALUES ($1)", ["x"]),  // unique violation
                ("INSERT INTO items VALUES ($1)", ["y"]),  // skipped
            ])
            Issue.record("expected a unique violation")
        } catch let error as PostgresError {
            #expect(error.isUniqueViolation)
            #expect(error.constraint == "items_pkey")
        }
        #expect(try names(connection) == [], "the implicit transaction rolled back the first insert")
        // The connection left pipeline mode cleanly and stays usable, for pipelines too.
        _ = try connection.pipeline([("INSERT INTO items VALUES ($1)", ["z"])])
        #expect(try names(connection) == ["z"])
        #expect(!connection.isBroken)
    }

    @Test func statementsArePreparedOnceAcrossQueryAndPipeline() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        let before = try preparedCount(connection)
        let insert = "INSERT INTO items VALUES ($1)"
        _ = try connection.pipeline([(insert, ["a"]), (insert, ["b"])])  // the same SQL twice: one prepare
        try connection.query(insert, ["c"])
        _ = try connection.pipeline([(insert, ["d"])])
        // `before` already counted the pg_prepared_statements query itself: only the insert is new.
        #expect(try preparedCount(connection) == before + 1)
        #expect(try names(connection) == ["a", "b", "c", "d"])
    }

    @Test func aFailedPrepareInAPipelineIsReportedAndNotCached() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        do {
            _ = try connection.pipeline([("INSERT INTO items VALUES ($1)", ["a"]), ("SELEC oops", [])])
            Issue.record("expected a syntax error")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42601")
        }
        #expect(try names(connection) == [])
        try connection.execute("CREATE TABLE later (n int)")
        // Same text again now fails the same way (not a stale cached name).
        #expect(throws: PostgresError.self) { _ = try connection.pipeline([("SELEC oops", [])]) }
    }

    @Test func forgottenStatementsAreReprepared() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        let insert = "INSERT INTO items VALUES ($1)"
        _ = try connection.pipeline([(insert, ["a"])])
        try connection.execute("DEALLOCATE ALL")
        _ = try connection.pipeline([(insert, ["b"]), ("SELECT 1", [])])
        #expect(try names(connection) == ["a", "b"])
    }

    @Test func pipelineInsideATransactionIsPartOfIt() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        #expect(throws: ExpectedFailure()) {
            try connection.transaction { tx in
                _ = try tx.pipeline([("INSERT INTO items VALUES ($1)", ["a"]), ("INSERT INTO items VALUES ($1)", ["b"])])
                throw ExpectedFailure()
            }
        }
        #expect(try names(connection) == [])
    }

    // MARK: pipelined transactions

    @Test func pipelinedTransactionIsOneTransaction() throws {
        let (conninfo, connection) = try setUp()
        defer { connection.close() }
        let observer = try connect(conninfo)
        defer { observer.close() }
        let (first, second) = try connection.transaction(pipelined: true) { tx in
            let first = try tx.query("SELECT pg_current_xact_id()::text").first?.string(0)
            try tx.query("INSERT INTO items VALUES ($1)", ["a"])
            #expect(try self.names(observer) == [], "uncommitted work is invisible")
            let second = try tx.query("SELECT pg_current_xact_id()::text").first?.string(0)
            return (first, second)
        }
        #expect(first != nil && first == second, "BEGIN went out with the first statement")
        #expect(try names(observer) == ["a"])
    }

    @Test func queuedStatementsRunWithCommit() throws {
        let (conninfo, connection) = try setUp()
        defer { connection.close() }
        let observer = try connect(conninfo)
        defer { observer.close() }
        try connection.transaction(pipelined: true) { tx in
            try tx.query("INSERT INTO items VALUES ($1)", ["a"])
            try tx.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["b"])
            #expect(try self.names(observer) == [])
        }
        #expect(try names(observer) == ["a", "b"])
    }

    @Test func queuedStatementsKeepTheirOrderBeforeALaterQuery() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        let seen = try connection.transaction(pipelined: true) { tx in
            try tx.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["a"])
            return try tx.query("SELECT count(*) FROM items").first?.int(0)
        }
        #expect(seen == 1)
        #expect(try names(connection) == ["a"])
    }

    @Test func aFailingQueuedStatementRollsBackAndThrowsItsSQLState() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        try connection.query("INSERT INTO items VALUES ($1)", ["dup"])
        do {
            try connection.transaction(pipelined: true) { tx in
                try tx.query("INSERT INTO items VALUES ($1)", ["a"])
                try tx.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["dup"])
            }
            Issue.record("expected a unique violation")
        } catch let error as PostgresError {
            #expect(error.isUniqueViolation)
            #expect(error.context == nil, "a body error, not a COMMIT failure")
        }
        #expect(try names(connection) == ["dup"])
        try connection.transaction(pipelined: true) { try $0.query("INSERT INTO items VALUES ($1)", ["b"]) }
        #expect(try names(connection) == ["b", "dup"])
    }

    @Test func aBodyErrorDiscardsQueuedStatements() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        #expect(throws: ExpectedFailure()) {
            try connection.transaction(pipelined: true) { tx in
                try tx.query("INSERT INTO items VALUES ($1)", ["a"])
                try tx.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["b"])
                throw ExpectedFailure()
            }
        }
        #expect(throws: ExpectedFailure()) {
            try connection.transaction(pipelined: true) { tx in
                try tx.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["c"])
                throw ExpectedFailure()  // BEGIN never left the connection
            }
        }
        #expect(try names(connection) == [])
    }

    @Test func anEmptyBodySendsNothing() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        let value = try connection.transaction(pipelined: true) { _ in 42 }
        #expect(value == 42)
        // Idle: a new transaction can start.
        try connection.transaction(pipelined: true) { try $0.query("INSERT INTO items VALUES ($1)", ["a"]) }
        #expect(try names(connection) == ["a"])
    }

    @Test func aFailingFirstStatementRollsBack() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        do {
            try connection.transaction(pipelined: true) { tx in try tx.query("SELECT 1/0") }
            Issue.record("expected division by zero")
        } catch let error as PostgresError {
            #expect(error.sqlState == "22012")
        }
        try connection.transaction(pipelined: true) { try $0.query("INSERT INTO items VALUES ($1)", ["a"]) }
        #expect(try names(connection) == ["a"])
    }

    @Test func savepointsInsideAPipelinedTransaction() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        try connection.transaction(pipelined: true) { tx in
            try tx.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["outer"])
            do {
                try tx.savepoint { sp in
                    try sp.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["inner"])  // runs at once here
                    try sp.query("INSERT INTO items VALUES ($1)", ["inner"])
                }
            } catch let error as PostgresError {
                #expect(error.isUniqueViolation)
            }
            try tx.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["last"])
        }
        #expect(try names(connection) == ["last", "outer"])
    }

    @Test func serializationFailureAtCommitKeepsItsSQLState() throws {
        let (conninfo, connection) = try setUp()
        defer { connection.close() }
        let other = try connect(conninfo)
        defer { other.close() }
        try connection.execute("SET default_transaction_isolation = 'serializable'")
        try other.execute("SET default_transaction_isolation = 'serializable'")
        try connection.query("INSERT INTO items VALUES ('seed')")
        do {
            try connection.transaction(pipelined: true) { tx in
                _ = try tx.query("SELECT count(*) FROM items")
                try other.transaction { o in
                    _ = try o.query("SELECT count(*) FROM items")
                    try o.query("INSERT INTO items VALUES ('o')")
                }
                try tx.queryBeforeCommit("INSERT INTO items VALUES ('t')")
            }
            Issue.record("expected a serialization failure")
        } catch let error as PostgresError {
            #expect(error.isSerializationFailure)
        }
        #expect(try names(connection) == ["o", "seed"])
    }

    // MARK: pipelined savepoints

    @Test func pipelinedSavepointsCostTwoRoundTripsPerItem() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        _ = try connection.query("INSERT INTO items VALUES ($1)", ["warm"])  // prepare the statement
        _ = try connection.query("DELETE FROM items")
        let before = connection.roundTrips
        try connection.transaction(pipelined: true) { tx in
            for name in ["a", "b", "c"] {
                try tx.savepoint(pipelined: true) { sp in
                    try sp.query("INSERT INTO items VALUES ($1)", [name])
                    try sp.queryBeforeCommit("INSERT INTO items VALUES ($1)", [name + "-receipt"])
                }
            }
        }
        // BEGIN+SAVEPOINT+insert, then receipt+RELEASE, per item; COMMIT alone.
        #expect(connection.roundTrips - before == 3 * 2 + 1)
        #expect(try names(connection) == ["a", "a-receipt", "b", "b-receipt", "c", "c-receipt"])
    }

    @Test func aFailingPipelinedSavepointUndoesOnlyItsOwnWork() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        try connection.transaction(pipelined: true) { tx in
            try tx.savepoint(pipelined: true) { sp in
                try sp.query("INSERT INTO items VALUES ($1)", ["first"])
                try sp.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["first-receipt"])
            }
            // Fails in its own statement (duplicate key): only it is undone.
            do {
                try tx.savepoint(pipelined: true) { sp in try sp.query("INSERT INTO items VALUES ($1)", ["first"]) }
                Issue.record("expected a unique violation")
            } catch let error as PostgresError {
                #expect(error.isUniqueViolation)
            }
            // Fails in the statement queued for RELEASE: its own insert is undone with it.
            do {
                try tx.savepoint(pipelined: true) { sp in
                    try sp.query("INSERT INTO items VALUES ($1)", ["second"])
                    try sp.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["first-receipt"])
                }
                Issue.record("expected a unique violation at RELEASE")
            } catch let error as PostgresError {
                #expect(error.isUniqueViolation)
            }
            // Throws before sending anything: nothing was sent, nothing to undo.
            struct Refused: Error {}
            #expect(throws: Refused.self) {
                try tx.savepoint(pipelined: true) { sp in
                    try sp.queryBeforeCommit("INSERT INTO items VALUES ($1)", ["never"])
                    throw Refused()
                }
            }
            try tx.savepoint(pipelined: true) { sp in try sp.query("INSERT INTO items VALUES ($1)", ["third"]) }
        }
        #expect(try names(connection) == ["first", "first-receipt", "third"])
    }

    @Test func anEmptyPipelinedSavepointSendsNothing() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        let before = connection.roundTrips
        try connection.transaction(pipelined: true) { tx in
            try tx.savepoint(pipelined: true) { _ in }
        }
        #expect(connection.roundTrips == before)
    }
}
