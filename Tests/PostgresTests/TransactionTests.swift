import Postgres
import Testing

@Suite("Transactions and savepoints")
struct TransactionTests {
    private func setUp() throws -> (conninfo: String, connection: PostgresConnection) {
        let conninfo = try makeDatabase()
        let connection = try connect(conninfo)
        try connection.execute("CREATE TABLE items (name text PRIMARY KEY)")
        return (conninfo, connection)
    }

    private func names(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("SELECT name FROM items ORDER BY name").compactMap { $0.string(0) }
    }

    @Test func commitMakesWorkVisibleToOthers() throws {
        let (conninfo, connection) = try setUp()
        defer { connection.close() }
        let observer = try connect(conninfo)
        defer { observer.close() }
        let value = try connection.transaction { tx in
            try tx.query("INSERT INTO items VALUES ($1)", ["a"])
            #expect(try self.names(observer) == [], "uncommitted work is invisible")
            return 7
        }
        #expect(value == 7)
        #expect(try names(observer) == ["a"])
    }

    @Test func throwingBodyRollsBackAndRethrowsItsError() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        #expect(throws: ExpectedFailure()) {
            try connection.transaction { tx in
                try tx.query("INSERT INTO items VALUES ($1)", ["a"])
                throw ExpectedFailure()
            }
        }
        #expect(try names(connection) == [])
        // The connection is idle again: another transaction works.
        try connection.transaction { try $0.query("INSERT INTO items VALUES ($1)", ["b"]) }
        #expect(try names(connection) == ["b"])
    }

    @Test func savepointRollbackKeepsTheOuterTransaction() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        try connection.transaction { tx in
            try tx.query("INSERT INTO items VALUES ($1)", ["outer-1"])
            #expect(throws: ExpectedFailure()) {
                try tx.savepoint { sp in
                    try sp.query("INSERT INTO items VALUES ($1)", ["inner"])
                    throw ExpectedFailure()
                }
            }
            // A server-side error inside a savepoint does not poison the outer transaction either.
            let duplicate = try #require(throws: PostgresError.self) {
                try tx.savepoint { try $0.query("INSERT INTO items VALUES ($1)", ["outer-1"]) }
            }
            #expect(duplicate.isUniqueViolation)
            try tx.query("INSERT INTO items VALUES ($1)", ["outer-2"])
        }
        #expect(try names(connection) == ["outer-1", "outer-2"])
    }

    @Test func nestedSavepoints() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        try connection.transaction { tx in
            try tx.savepoint { level1 in
                try level1.query("INSERT INTO items VALUES ($1)", ["level-1"])
                #expect(throws: ExpectedFailure()) {
                    try level1.savepoint { level2 in
                        try level2.query("INSERT INTO items VALUES ($1)", ["level-2"])
                        throw ExpectedFailure()
                    }
                }
                try level1.savepoint { try $0.query("INSERT INTO items VALUES ($1)", ["level-2b"]) }
            }
        }
        #expect(try names(connection) == ["level-1", "level-2b"])
    }

    @Test func swallowedErrorIsReportedAtCommitAndNothingIsSaved() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        let error = try #require(throws: PostgresError.self) {
            try connection.transaction { tx in
                try tx.query("INSERT INTO items VALUES ($1)", ["a"])
                _ = try? tx.query("INSERT INTO items VALUES ($1)", ["a"])  // duplicate, error ignored
            }
        }
        #expect(error.context == "COMMIT")
        #expect(error.sqlState == "25P02")
        #expect(try names(connection) == [])
    }

    @Test func deferredConstraintFailsAtCommitAsACommitError() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        try connection.execute("""
            CREATE TABLE parents (id int PRIMARY KEY);
            CREATE TABLE children (parent int REFERENCES parents DEFERRABLE INITIALLY DEFERRED)
            """)
        let error = try #require(throws: PostgresError.self) {
            try connection.transaction { try $0.query("INSERT INTO children VALUES ($1)", [1]) }
        }
        #expect(error.context == "COMMIT")
        #expect(error.sqlState == "23503")
        #expect(try connection.query("SELECT count(*) FROM children")[0].int(0) == 0)
    }

    @Test func misuseIsRejected() throws {
        let (_, connection) = try setUp()
        defer { connection.close() }
        let outside = try #require(throws: PostgresError.self) { try connection.savepoint { _ in } }
        #expect(outside.code == .misuse)
        try connection.transaction { tx in
            let nested = try #require(throws: PostgresError.self) { try tx.transaction { _ in } }
            #expect(nested.code == .misuse)
        }
    }
}
