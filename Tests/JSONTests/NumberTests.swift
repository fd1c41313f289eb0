import JSON
import Testing

@Suite("Numbers")
struct NumberTests {
    @Test func integerBoundaries() throws {
        #expect(try JSON.parse("9223372036854775807") == .int(.max))
        #expect(try JSON.parse("-9223372036854775808") == .int(.min))
        #expect(try JSON.parse("9223372036854775808") == .double(9_223_372_036_854_775_808.0))
        #expect(try JSON.parse("-9223372036854775809") == .double(-9_223_372_036_854_775_809.0))
        #expect(try JSON.parse("18446744073709551616") == .double(18_446_744_073_709_551_616.0))
        #expect(try JSON.parse("[9223372036854775807,-9223372036854775808]").canonicalBytes
            == Array("[9223372036854775807,-9223372036854775808]".utf8))
    }

    @Test func fractionOrExponentAlwaysMakesDouble() throws {
        #expect(try JSON.parse("1.0") == .double(1))
        #expect(try JSON.parse("1e0") == .double(1))
        #expect(try JSON.parse("10E-1") == .double(1))
        #expect(try JSON.parse("1") == .int(1))
    }

    /// The parser's fast path must agree bit for bit with the standard library's correctly rounded
    /// conversion on a spread of shapes: short and long significands, small and large exponents.
    @Test func doublesMatchStandardLibrary() throws {
        var rng = SplitMix64(seed: 0xD0_0B1E)
        for _ in 0..<20_000 {
            let intDigits = Int.random(in: 1...12, using: &rng)
            let fracDigits = Int.random(in: 0...12, using: &rng)
            var s = Bool.random(using: &rng) ? "-" : ""
            s += String(Int.random(in: 1...9, using: &rng))
            for _ in 1..<intDigits { s += String(Int.random(in: 0...9, using: &rng)) }
            if fracDigits > 0 {
                s += "."
                for _ in 0..<fracDigits { s += String(Int.random(in: 0...9, using: &rng)) }
            }
            s += "e" + String(Int.random(in: -40...40, using: &rng))
            let expected = Double(s)!
            let parsed = try JSON.parse(s)
            #expect(parsed.doubleValue?.bitPattern == expected.bitPattern, "\(s)")
        }
    }

    @Test func serializedDoublesRoundTripExactly() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let value = Double(bitPattern: rng.next())
            guard value.isFinite else { continue }
            let reparsed = try JSON.parse(JSON.double(value).serialized())
            #expect(reparsed.doubleValue == value, "\(value)")
        }
    }

    @Test func serializedIntegersRoundTripExactly() throws {
        var rng = SplitMix64(seed: 7)
        for value in [Int64.min, .min + 1, -10, -9, -1, 0, 1, 9, 10, .max - 1, .max] + (0..<5000).map({ _ in Int64(bitPattern: rng.next()) }) {
            #expect(text(JSON.int(value).serialized()) == String(value))
            #expect(try JSON.parse(JSON.int(value).serialized()) == .int(value))
        }
    }
}
