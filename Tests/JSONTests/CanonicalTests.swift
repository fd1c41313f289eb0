import JSON
import Testing

struct CanonicalCase: Sendable, CustomTestStringConvertible {
    let name: String
    let value: JSON
    let expected: String
    var testDescription: String { name }
    init(_ name: String, _ value: JSON, _ expected: String) {
        self.name = name
        self.value = value
        self.expected = expected
    }
}

let canonicalCases: [CanonicalCase] = [
    CanonicalCase("scalars", [nil, true, false, 0, -1, "x"], #"[null,true,false,0,-1,"x"]"#),
    CanonicalCase("empty_containers", ["a": [], "b": [:]], #"{"a":[],"b":{}}"#),
    CanonicalCase("ascii_key_order", ["b": 1, "a": 2, "B": 3, "aa": 4, "": 5], #"{"":5,"B":3,"a":2,"aa":4,"b":1}"#),
    // U+10000 sorts after U+FFFD by code point (and UTF-8 bytes) but before it in UTF-16 order; "é"
    // (C3 A9) sorts after every ASCII key. This pins byte order, not Swift's String ordering.
    CanonicalCase("non_ascii_key_order",
                  ["\u{10000}": 1, "\u{FFFD}": 2, "é": 3, "z": 4, "中": 5, "ÿ": 6],
                  "{\"z\":4,\"é\":3,\"ÿ\":6,\"中\":5,\"\u{FFFD}\":2,\"\u{10000}\":1}"),
    CanonicalCase("nested_objects_sorted", ["b": [["d": 1, "c": 2]], "a": nil], #"{"a":null,"b":[{"c":2,"d":1}]}"#),
    CanonicalCase("escaping_minimal",
                  "\u{0}\u{1}\u{1F}\u{8}\u{C}\n\r\t\"\\/ é\u{7F}\u{2028}😀",
                  "\"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/ é\u{7F}\u{2028}😀\""),
    CanonicalCase("escaping_in_keys", ["a\"b": 1, "a\nb": 2], #"{"a\nb":2,"a\"b":1}"#),
    CanonicalCase("int64_bounds", [.int(.max), .int(.min)], "[9223372036854775807,-9223372036854775808]"),
    CanonicalCase("integral_double_as_int", [1.0, -0.0, 0.0, 100.0, -42.0], "[1,0,0,100,-42]"),
    CanonicalCase("two_pow_53", [9_007_199_254_740_992.0, -9_007_199_254_740_992.0],
                  "[9007199254740992,-9007199254740992]"),
    CanonicalCase("beyond_two_pow_53", [9_007_199_254_740_994.0, 1e20, 1e300],
                  "[9.007199254740994e15,1e20,1e300]"),
    CanonicalCase("fractions", [0.1, -2.5, 123456.789, 0.0001, 1.5e300], "[0.1,-2.5,123456.789,0.0001,1.5e300]"),
    CanonicalCase("small_exponents", [1e-7, 2.5e-10, 1e-5, .double(.leastNonzeroMagnitude), -1.25e-8], "[1e-7,2.5e-10,1e-5,5e-324,-1.25e-8]"),
    CanonicalCase("extreme_doubles", [.double(.greatestFiniteMagnitude), .double(-.leastNormalMagnitude)],
                  "[1.7976931348623157e308,-2.2250738585072014e-308]"),
    CanonicalCase("non_finite_written_as_null", [.double(.infinity), .double(.nan)], "[null,null]"),
]

@Suite("Canonical bytes")
struct CanonicalTests {
    @Test(arguments: canonicalCases)
    func canonicalForm(_ c: CanonicalCase) throws {
        #expect(text(c.value.canonicalBytes) == c.expected)
        // Canonical output always reparses, and is a fixed point.
        let reparsed = try JSON.parse(c.value.canonicalBytes)
        #expect(reparsed.canonicalBytes == c.value.canonicalBytes)
    }

    @Test func formattingAndOrderDoNotChangeCanonicalBytes() throws {
        let a = try JSON.parse(#"{ "b" : 1.0, "a":[ 1 , 2e0 ], "c": {"y": "\u0041", "x": null} }"#)
        let b = try JSON.parse(#"{"c":{"x":null,"y":"A"},"a":[1,2],"b":1}"#)
        #expect(text(a.canonicalBytes) == #"{"a":[1,2],"b":1,"c":{"x":null,"y":"A"}}"#)
        #expect(a.canonicalBytes == b.canonicalBytes)
    }

    @Test func compactSerializationKeepsDoublesDistinctFromIntegers() throws {
        let value: JSON = [1, 1.0, -0.0, 1e16, 1e-7, 0.5, .int(.min)]
        #expect(text(value.serialized()) == "[1,1.0,-0.0,1e16,1e-7,0.5,-9223372036854775808]")
        #expect(text(value.canonicalBytes) == "[1,1,0,1e16,1e-7,0.5,-9223372036854775808]")
        #expect(try JSON.parse(value.serialized()) == value)
    }

    @Test func sortedKeysWithoutCanonicalNumbers() {
        let value: JSON = ["b": 2.0, "a": ["d": nil, "c": 1]]
        #expect(text(value.serialized(sortedKeys: true)) == #"{"a":{"c":1,"d":null},"b":2.0}"#)
    }

    @Test func compactSerializationHasNoWhitespace() throws {
        let value = try JSON.parse(" [ { \"a\" : [ 1 , \"x y\" ] } , true ] ")
        #expect(text(value.serialized()) == #"[{"a":[1,"x y"]},true]"#)
        #expect(value.description == #"[{"a":[1,"x y"]},true]"#)
    }

    @Test func serializeAppendsToExistingBuffer() {
        var buffer = Array("prefix:".utf8)
        JSON.array([1, "two"]).serialize(into: &buffer)
        #expect(text(buffer) == #"prefix:[1,"two"]"#)
    }

    @Test func appendQuotedEscapes() {
        var buffer: [UInt8] = []
        JSONEscaping.appendQuoted("say \"hi\"\\\u{1B}", to: &buffer)
        #expect(text(buffer) == #""say \"hi\"\\\u001b""#)
        buffer.removeAll()
        JSONEscaping.appendQuoted("", to: &buffer)
        #expect(text(buffer) == #""""#)
    }

    @Test func everyControlCharacterRoundTrips() throws {
        let all = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)
        let bytes = JSON.string(all).canonicalBytes
        #expect(!bytes.contains { $0 < 0x20 })
        #expect(try JSON.parse(bytes) == .string(all))
    }
}
