import Foundation
import Postgres
import Testing

@Suite("Binds and row decoding")
struct BindTests {
    @Test func everyBindableTypeRoundTrips() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        let id = UUID()
        let when = try #require(PostgresTimestamp.parse("2026-11-23 02:50:21.123456+00"))
        let result = try connection.query(
            """
            SELECT $1::text, $2::int8, $3::int4, $4::int8, $5::bool, $6::bool, $7::float8, $8::uuid,
                   $9::timestamptz, $10::text, $11::text, $12::int8, $13::timestamptz::text, $8::uuid::text
            """,
            ["héllo wörld ✓ 日本語 🌍", 42, Int32(-7), Int64.max, true, false, 3.25, id,
             when, Substring("sub-string"), nil, Optional<Int>.none, when]
        )
        #expect(result.count == 1)
        let row = result[0]
        #expect(row.string(0) == "héllo wörld ✓ 日本語 🌍")
        #expect(row.int(1) == 42)
        #expect(row.int(2) == -7)
        #expect(row.int(3) == Int.max)
        #expect(row.bool(4) == true)
        #expect(row.bool(5) == false)
        #expect(row.double(6) == 3.25)
        #expect(row.uuid(7) == id)
        #expect(row.date(8) == when)
        #expect(row.string(9) == "sub-string")
        #expect(row.isNull(10) && row.string(10) == nil && row.bytes(10) == nil)
        #expect(row.isNull(11) && row.int(11) == nil)
        #expect(row.string(12) == "2026-11-23 02:50:21.123456+00", "session must be UTC / ISO")
        #expect(row.string(13) == id.uuidString.lowercased())
        #expect(row.bytes(0) == Array("héllo wörld ✓ 日本語 🌍".utf8))
        #expect(result.columnNames.count == 14)
    }

    @Test(arguments: [0.1, -0.0, 1e-300, 1.7976931348623157e308, Double.pi, .infinity, -.infinity])
    func doublesRoundTripExactly(_ value: Double) throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        let row = try connection.query("SELECT $1::float8", [value])[0]
        #expect(row.double(0) == value)
        #expect(row.double(0)?.sign == value.sign)
    }

    @Test func nanAndIntegerExtremes() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        let row = try connection.query("SELECT $1::float8, $2::int8, $3::int8", [Double.nan, Int.min, Int.max])[0]
        #expect(row.double(0)?.isNaN == true)
        #expect(row.int(1) == Int.min)
        #expect(row.int(2) == Int.max)
    }

    @Test func decodersReturnNilForTheWrongShape() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        let row = try connection.query("SELECT 'abc', '12.5', 'yes', 'not-a-uuid', 'yesterday-ish'")[0]
        #expect(row.int(0) == nil)
        #expect(row.int(1) == nil)
        #expect(row.double(1) == 12.5)
        #expect(row.bool(2) == nil)
        #expect(row.uuid(3) == nil)
        #expect(row.date(4) == nil)
    }

    @Test func sqlInjectionAttemptStaysAValue() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        try connection.execute("CREATE TABLE users (name text NOT NULL)")
        try connection.query("INSERT INTO users (name) VALUES ($1)", ["alice"])
        let attacks = ["'; DROP TABLE users; --", "' OR '1'='1", "\"; DELETE FROM users; --", "$1", "\\'; SELECT 1; --"]
        for attack in attacks {
            #expect(try connection.query("SELECT count(*) FROM users WHERE name = $1", [attack])[0].int(0) == 0)
            try connection.query("INSERT INTO users (name) VALUES ($1)", [attack])
        }
        let names = try connection.query("SELECT name FROM users ORDER BY name").map { $0.string(0) }
        #expect(Set(names.compactMap { $0 }) == Set(attacks + ["alice"]))
    }

    @Test func nulByteInParameterIsRejectedNotTruncated() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        #expect {
            try connection.query("SELECT $1::text", ["before\u{0}after"])
        } throws: { error in
            let error = try #require(error as? PostgresError)
            return error.sqlState == "22021" && !error.description.contains("before")
        }
        #expect(try connection.query("SELECT 1")[0].int(0) == 1)
    }

    @Test func affectedRowsAndCommandTag() throws {
        let connection = try connect(try makeDatabase())
        defer { connection.close() }
        try connection.execute("CREATE TABLE t (n int)")
        let insert = try connection.query("INSERT INTO t SELECT generate_series(1, $1::int)", [5])
        #expect(insert.affectedRows == 5)
        #expect(insert.commandTag == "INSERT 0 5")
        #expect(try connection.query("UPDATE t SET n = n + 1 WHERE n > $1", [2]).affectedRows == 3)
        #expect(try connection.query("SELECT n AS value FROM t ORDER BY n").columnNames == ["value"])
    }
}
