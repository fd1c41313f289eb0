import JSON
import Testing

struct ValidCase: Sendable, CustomTestStringConvertible {
    let fixture: Fixture
    let expected: JSON
    var testDescription: String { fixture.name }
    init(_ name: String, _ text: String, _ expected: JSON) {
        fixture = Fixture(name, text)
        self.expected = expected
    }
    init(_ name: String, bytes: [UInt8], _ expected: JSON) {
        fixture = Fixture(name, bytes: bytes)
        self.expected = expected
    }
}

let validCases: [ValidCase] = [
    ValidCase("y_null", "null", nil),
    ValidCase("y_true", "true", true),
    ValidCase("y_false", "false", false),
    ValidCase("y_zero", "0", 0),
    ValidCase("y_negative_zero_int", "-0", 0),
    ValidCase("y_negative_zero_double", "-0.0", .double(-0.0)),
    ValidCase("y_int", "42", 42),
    ValidCase("y_negative_int", "-17", -17),
    ValidCase("y_fraction", "1.5", 1.5),
    ValidCase("y_exponent_is_double", "1e2", .double(100)),
    ValidCase("y_capital_exponent_negative", "1E-2", 0.01),
    ValidCase("y_exponent_plus", "-1.5e+3", -1500.0),
    ValidCase("y_fraction_trailing_zero", "1.0", .double(1)),
    ValidCase("y_underflow_to_zero", "1e-400", .double(0)),
    ValidCase("y_tiny_subnormal", "5e-324", .double(.leastNonzeroMagnitude)),
    ValidCase("y_max_double", "1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
    ValidCase("y_long_fraction", "0.1000000000000000055511151231257827", 0.1),
    ValidCase("y_surrounding_whitespace", " \t\n\r true \r\n\t ", true),
    ValidCase("y_empty_string", #""""#, ""),
    ValidCase("y_simple_escapes", #""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
    ValidCase("y_unicode_escape", #""\u00e9\u00C9""#, "éÉ"),
    ValidCase("y_surrogate_pair", #""\uD83D\uDE00""#, "😀"),
    ValidCase("y_escaped_nul", #""a\u0000b""#, "a\u{0}b"),
    ValidCase("y_escaped_max_bmp", #""\uFFFF""#, "\u{FFFF}"),
    ValidCase("y_raw_utf8", "\"é😀中\u{10FFFF}\"", "é😀中\u{10FFFF}"),
    ValidCase("y_raw_del", bytes: [0x22, 0x7F, 0x22], "\u{7F}"),
    ValidCase("y_escape_after_utf8", #""中\n文""#, "中\n文"),
    ValidCase("y_empty_array", "[]", []),
    ValidCase("y_empty_object", "{}", [:]),
    ValidCase("y_whitespace_in_containers", "[ 1 , { \"a\" : [ ] } ]", [1, ["a": []]]),
    ValidCase("y_nested", #"{"a":[1,{"b":null}],"c":"d"}"#, ["a": [1, ["b": nil]], "c": "d"]),
    ValidCase("y_duplicate_key_last_wins", #"{"a":1,"a":2}"#, ["a": 2]),
    ValidCase("y_escaped_key", #"{"\u0061":true}"#, ["a": true]),
    ValidCase("y_nesting_at_limit", String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
              JSON.nested(64)),
    ValidCase("y_int64_max", "9223372036854775807", .int(.max)),
    ValidCase("y_int64_min", "-9223372036854775808", .int(.min)),
    ValidCase("y_int64_max_plus_one", "9223372036854775808", .double(9_223_372_036_854_775_808.0)),
    ValidCase("y_int64_min_minus_one", "-9223372036854775809", .double(-9_223_372_036_854_775_808.0)),
    ValidCase("y_huge_integer", "123456789012345678901234567890", .double(1.2345678901234568e29)),
]

extension JSON {
    static func nested(_ depth: Int) -> JSON {
        var value: JSON = []
        for _ in 1..<depth { value = [value] }
        return value
    }
}

@Suite("Valid documents")
struct ValidDocumentTests {
    @Test(arguments: validCases)
    func parsesToExpectedValue(_ valid: ValidCase) throws {
        #expect(try JSON.parse(valid.fixture.bytes) == valid.expected)
    }

    @Test(arguments: validCases)
    func roundTrips(_ valid: ValidCase) throws {
        let value = try JSON.parse(valid.fixture.bytes)
        #expect(try JSON.parse(value.serialized()) == value)
        #expect(try JSON.parse(value.serialized(sortedKeys: true)) == value)
        #expect(try JSON.parse(value.description) == value)
        // Serialization is a fixed point after one round.
        #expect(try JSON.parse(value.canonicalBytes).canonicalBytes == value.canonicalBytes)
    }

    @Test(arguments: validCases)
    func allEntryPointsAgree(_ valid: ValidCase) throws {
        let fromArray = try JSON.parse(valid.fixture.bytes)
        let fromBuffer = try valid.fixture.bytes.withUnsafeBytes { try JSON.parse($0) }
        #expect(fromArray == fromBuffer)
        if let string = String(validating: valid.fixture.bytes, as: UTF8.self) {
            #expect(try JSON.parse(string) == fromArray)
        }
    }

    @Test func maxDepthZeroAllowsOnlyScalars() throws {
        #expect(try JSON.parse("1", maxDepth: 0) == 1)
        #expect(throws: JSONParseError.self) { try JSON.parse("[]", maxDepth: 0) }
        #expect(try JSON.parse("[[1]]", maxDepth: 2) == [[1]])
    }

    @Test func objectsAndArraysBothCountTowardsDepth() throws {
        #expect(try JSON.parse(#"{"a":[{"b":[]}]}"#, maxDepth: 4) == ["a": [["b": []]]])
        #expect(throws: JSONParseError.self) { try JSON.parse(#"{"a":[{"b":[]}]}"#, maxDepth: 3) }
    }

    @Test func largerMaxDepthAllowsDeeperNesting() throws {
        let depth = 1000
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(try JSON.parse(text, maxDepth: depth) == JSON.nested(depth))
    }
}
