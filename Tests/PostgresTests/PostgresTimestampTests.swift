import Foundation
import Postgres
import Testing

/// Whole microseconds since 1970. `Date` stores seconds since 2001 as a Double, so convert from that
/// (one rounding) rather than through `timeIntervalSince1970` (which adds a second rounding).
private func micros(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSinceReferenceDate * 1e6).rounded()) + 978_307_200_000_000
}

private func date(micros: Int64) -> Date {
    Date(timeIntervalSinceReferenceDate: Double(micros - 978_307_200_000_000) / 1e6)
}

@Suite("PostgresTimestamp")
struct PostgresTimestampTests {
    struct Fixture: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var unixMicros: Int64
        var testDescription: String { name }
    }

    static let accepted: [Fixture] = [
        Fixture(name: "server output with microseconds", text: "2026-11-23 02:50:21.123456+00", unixMicros: 1_795_402_221_123_456),
        Fixture(name: "no fraction", text: "2026-11-23 02:50:21+00", unixMicros: 1_795_402_221_000_000),
        Fixture(name: "short fraction", text: "2026-11-23 02:50:21.5+00", unixMicros: 1_795_402_221_500_000),
        Fixture(name: "three-digit fraction", text: "2026-11-23 02:50:21.123+00", unixMicros: 1_795_402_221_123_000),
        Fixture(name: "positive offset with minutes", text: "2026-11-23 02:50:21.123456+05:30", unixMicros: 1_795_382_421_123_456),
        Fixture(name: "negative offset", text: "2026-11-23 02:50:21-08", unixMicros: 1_795_431_021_000_000),
        Fixture(name: "ISO T and Z", text: "2026-11-23T02:50:21.123456Z", unixMicros: 1_795_402_221_123_456),
        Fixture(name: "timestamp without zone is UTC", text: "2026-11-23 02:50:21.123456", unixMicros: 1_795_402_221_123_456),
        Fixture(name: "date only", text: "2026-11-23", unixMicros: 1_795_392_000_000_000),
        Fixture(name: "epoch", text: "1970-01-01 00:00:00+00", unixMicros: 0),
        Fixture(name: "just before epoch", text: "1969-12-31 23:59:59.999999+00", unixMicros: -1),
        Fixture(name: "leap day", text: "2000-02-29 12:00:00+00", unixMicros: 951_825_600_000_000),
        Fixture(name: "1900 (not a leap year)", text: "1900-03-01 00:00:00+00", unixMicros: -2_203_891_200_000_000),
        Fixture(name: "year one", text: "0001-01-01 00:00:00+00", unixMicros: -62_135_596_800_000_000),
        Fixture(name: "1 BC", text: "0001-01-01 00:00:00+00 BC", unixMicros: -62_167_219_200_000_000),
        Fixture(name: "seven fraction digits round half up", text: "2026-11-23 02:50:21.1234565+00", unixMicros: 1_795_402_221_123_457),
    ]

    @Test(arguments: accepted)
    func parsesFixture(_ fixture: Fixture) throws {
        let date = try #require(PostgresTimestamp.parse(fixture.text))
        #expect(micros(date) == fixture.unixMicros)
    }

    @Test(arguments: [
        "", "garbage", "2026-13-01 00:00:00+00", "2026-02-29 00:00:00+00", "2026-11-31", "2026-11-23 02:50",
        "2026-11-23 02:50:21.+00", "2026-11-23 02:50:21.1234567890+00", "2026-11-23 02:50:21+0", "26-11-23",
        "2026-11-23 02:50:21+00 ", "2026-11-23 25:00:00+00", "infinityx",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(PostgresTimestamp.parse(text) == nil)
    }

    @Test func infinities() {
        #expect(PostgresTimestamp.parse("infinity") == .distantFuture)
        #expect(PostgresTimestamp.parse("-infinity") == .distantPast)
    }

    @Test func formatsUTCWithMicroseconds() throws {
        let parsed = try #require(PostgresTimestamp.parse("2026-11-23 02:50:21.000042+00"))
        #expect(PostgresTimestamp.format(parsed) == "2026-11-23T02:50:21.000042Z")
        #expect(PostgresTimestamp.format(date(micros: -1)) == "1969-12-31T23:59:59.999999Z")
        #expect(PostgresTimestamp.format(date(micros: 0)) == "1970-01-01T00:00:00.000000Z")
    }

    @Test func formatThenParseIsIdentityAtMicrosecondPrecision() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            // 1900 ... 2100, whole microseconds
            let value = Int64.random(in: -2_208_988_800_000_000...4_102_444_800_000_000, using: &generator)
            let original = date(micros: value)
            let parsed = try #require(PostgresTimestamp.parse(PostgresTimestamp.format(original)))
            #expect(micros(parsed) == value)
            #expect(PostgresTimestamp.format(parsed) == PostgresTimestamp.format(original))
            #expect(parsed == original)
        }
    }
}
