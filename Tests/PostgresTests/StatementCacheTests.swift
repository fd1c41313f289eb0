import Postgres
import Testing

@Suite("Prepared statement cache")
struct StatementCacheTests {
    @Test func sameSQLIsPreparedOnceAndReused() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        let sql = "SELECT $1::int + 1"
        for value in 0..<5 {
            #expect(try connection.query(sql, [value])[0].int(0) == value + 1)
        }
        let prepared = try connection.query("SELECT name FROM pg_prepared_statements WHERE statement = $1", [sql])
        #expect(prepared.count == 1)
        // The statement above, the lookup, and this count; nothing re-prepared per call.
        #expect(try connection.query("SELECT count(*) FROM pg_prepared_statements")[0].int(0) == 3)
    }

    @Test func statementsAreReprepearedWhenTheServerForgetsThem() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        #expect(try connection.query("SELECT $1::text", ["a"])[0].string(0) == "a")
        try connection.execute("DEALLOCATE ALL")
        #expect(try connection.query("SELECT $1::text", ["b"])[0].string(0) == "b")
    }

    @Test func statementsSurviveASchemaChange() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        try connection.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
        #expect(try connection.query("SELECT * FROM t").columnNames == ["a"])
        try connection.execute("ALTER TABLE t ADD COLUMN b int DEFAULT 2")
        let result = try connection.query("SELECT * FROM t")
        #expect(result.columnNames == ["a", "b"])
        #expect(result[0].int(1) == 2)
    }

    @Test func aFailedPrepareIsNotCached() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        #expect(throws: PostgresError.self) { try connection.query("SELECT * FROM later") }
        try connection.execute("CREATE TABLE later (x int)")
        #expect(try connection.query("SELECT * FROM later").count == 0)
    }
}
