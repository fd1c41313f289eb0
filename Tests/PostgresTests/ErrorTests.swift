import Postgres
import Testing

@Suite("Errors")
struct ErrorTests {
    @Test func uniqueViolationCarriesSQLStateAndConstraint() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        try connection.execute("CREATE TABLE accounts (email text CONSTRAINT accounts_email_key UNIQUE)")
        try connection.query("INSERT INTO accounts VALUES ($1)", ["secret@example.com"])
        let error = try #require(throws: PostgresError.self) {
            try connection.query("INSERT INTO accounts VALUES ($1)", ["secret@example.com"])
        }
        #expect(error.code == .queryFailed)
        #expect(error.sqlState == "23505")
        #expect(error.isUniqueViolation)
        #expect(!error.isSerializationFailure)
        #expect(error.constraint == "accounts_email_key")
        #expect(error.table == "accounts")
        #expect(error.detail?.contains("secret@example.com") == true, "DETAIL keeps the server's full text")
        #expect(!error.description.contains("secret@example.com"), "description is redacted")
        #expect(error.description.contains("23505"))
        #expect(!connection.isBroken)
        #expect(try connection.query("SELECT count(*) FROM accounts")[0].int(0) == 1)
    }

    @Test func syntaxErrorIsAQueryFailure() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        let error = try #require(throws: PostgresError.self) { try connection.execute("SELEC 1") }
        #expect(error.code == .queryFailed)
        #expect(error.sqlState == "42601")
    }

    @Test func connectFailureIsConnectionFailed() throws {
        let error = try #require(throws: PostgresError.self) {
            try connect("host=/nonexistent-socket-dir port=1 user=nobody password=hunter2 connect_timeout=2")
        }
        #expect(error.code == .connectionFailed)
        #expect(error.context == "connect")
        #expect(!error.description.contains("hunter2"))
    }

    @Test func closedConnectionThrowsBroken() throws {
        let connection = try connect(try makeDatabase())
        connection.close()
        #expect(connection.isBroken)
        let error = try #require(throws: PostgresError.self) { try connection.query("SELECT 1") }
        #expect(error.code == .connectionBroken)
    }
}
