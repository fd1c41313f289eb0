import JSON
import Testing

struct RejectCase: Sendable, CustomTestStringConvertible {
    let fixture: Fixture
    let code: JSONParseError.Code
    let offset: Int
    var testDescription: String { fixture.name }
    init(_ name: String, _ text: String, _ code: JSONParseError.Code, at offset: Int) {
        fixture = Fixture(name, text)
        self.code = code
        self.offset = offset
    }
    init(_ name: String, bytes: [UInt8], _ code: JSONParseError.Code, at offset: Int) {
        fixture = Fixture(name, bytes: bytes)
        self.code = code
        self.offset = offset
    }
}

let q: UInt8 = 0x22  // '"', for byte-level string fixtures

let rejectCases: [RejectCase] = [
    // Structure
    RejectCase("n_empty_input", "", .unexpectedEnd, at: 0),
    RejectCase("n_whitespace_only", " \n ", .unexpectedEnd, at: 3),
    RejectCase("n_two_values", "1 2", .trailingData, at: 2),
    RejectCase("n_array_trailing_comma", "[1,]", .unexpectedCharacter, at: 3),
    RejectCase("n_object_trailing_comma", #"{"a":1,}"#, .unexpectedCharacter, at: 7),
    RejectCase("n_object_key_without_value", #"{"a"}"#, .unexpectedCharacter, at: 4),
    RejectCase("n_object_missing_colon", #"{"a" 1}"#, .unexpectedCharacter, at: 5),
    RejectCase("n_object_number_key", "{1:2}", .unexpectedCharacter, at: 1),
    RejectCase("n_object_single_quoted_key", "{'a':1}", .unexpectedCharacter, at: 1),
    RejectCase("n_array_missing_comma", "[1 2]", .unexpectedCharacter, at: 3),
    RejectCase("n_array_leading_comma", "[,1]", .unexpectedCharacter, at: 1),
    RejectCase("n_array_double_comma", "[1,,2]", .unexpectedCharacter, at: 3),
    RejectCase("n_array_unclosed", "[1", .unexpectedEnd, at: 2),
    RejectCase("n_array_open_only", "[", .unexpectedEnd, at: 1),
    RejectCase("n_object_unclosed", #"{"a":1"#, .unexpectedEnd, at: 6),
    RejectCase("n_object_no_value", #"{"a":"#, .unexpectedEnd, at: 5),
    RejectCase("n_mismatched_brackets", "[1}", .unexpectedCharacter, at: 2),
    RejectCase("n_extra_close", "[1]]", .trailingData, at: 3),
    RejectCase("n_block_comment", "/* c */ 1", .unexpectedCharacter, at: 0),
    RejectCase("n_trailing_line_comment", "[1]//", .trailingData, at: 3),
    RejectCase("n_bom", bytes: [0xEF, 0xBB, 0xBF, 0x31], .unexpectedCharacter, at: 0),
    RejectCase("n_form_feed_is_not_whitespace", "\u{C}1", .unexpectedCharacter, at: 0),
    RejectCase("n_nbsp_is_not_whitespace", "\u{A0}1", .unexpectedCharacter, at: 0),
    RejectCase("n_trailing_nul", bytes: [0x31, 0x00], .trailingData, at: 1),
    RejectCase("n_invalid_utf8_outside_string", bytes: [0x5B, 0xFF, 0x5D], .unexpectedCharacter, at: 1),
    RejectCase("n_single_quoted_string", "'a'", .unexpectedCharacter, at: 0),
    // Literals
    RejectCase("n_truncated_true", "tru", .unexpectedEnd, at: 3),
    RejectCase("n_misspelt_true", "trux", .invalidLiteral, at: 0),
    RejectCase("n_capital_true", "True", .unexpectedCharacter, at: 0),
    RejectCase("n_null_extra_letter", "nulll", .trailingData, at: 4),
    RejectCase("n_nan", "NaN", .unexpectedCharacter, at: 0),
    RejectCase("n_infinity", "Infinity", .unexpectedCharacter, at: 0),
    RejectCase("n_minus_infinity", "-Infinity", .invalidNumber, at: 0),
    RejectCase("n_undefined", "undefined", .unexpectedCharacter, at: 0),
    // Numbers
    RejectCase("n_leading_zero", "01", .invalidNumber, at: 0),
    RejectCase("n_negative_leading_zero", "-01", .invalidNumber, at: 0),
    RejectCase("n_leading_zero_in_array", "[00]", .invalidNumber, at: 1),
    RejectCase("n_plus_sign", "+1", .unexpectedCharacter, at: 0),
    RejectCase("n_leading_dot", ".5", .unexpectedCharacter, at: 0),
    RejectCase("n_lone_minus", "-", .unexpectedEnd, at: 1),
    RejectCase("n_minus_space", "- 1", .invalidNumber, at: 0),
    RejectCase("n_trailing_dot", "1.", .unexpectedEnd, at: 2),
    RejectCase("n_dot_then_exponent", "1.e5", .invalidNumber, at: 2),
    RejectCase("n_empty_exponent", "1e", .unexpectedEnd, at: 2),
    RejectCase("n_exponent_sign_only", "1e+", .unexpectedEnd, at: 3),
    RejectCase("n_exponent_letter", "1ex", .invalidNumber, at: 2),
    RejectCase("n_hex_number", "0x1", .trailingData, at: 1),
    RejectCase("n_huge_exponent", "1e400", .numberOutOfRange, at: 0),
    RejectCase("n_huge_negative_exponent_value", "-1e400", .numberOutOfRange, at: 0),
    RejectCase("n_just_over_double_max", "[1.8e308]", .numberOutOfRange, at: 1),
    RejectCase("n_enormous_exponent_digits", "1e99999999999999999999999", .numberOutOfRange, at: 0),
    RejectCase("n_huge_integer_literal", "1" + String(repeating: "0", count: 400), .numberOutOfRange, at: 0),
    // Strings
    RejectCase("n_unterminated_string", #""abc"#, .unterminatedString, at: 0),
    RejectCase("n_unterminated_after_escape", #""a\n"#, .unterminatedString, at: 0),
    RejectCase("n_backslash_at_end", #""a\"#, .unexpectedEnd, at: 3),
    RejectCase("n_raw_tab_in_string", "\"a\tb\"", .controlCharacter, at: 2),
    RejectCase("n_raw_newline_in_string", "\"a\nb\"", .controlCharacter, at: 2),
    RejectCase("n_raw_nul_in_string", bytes: [q, 0x00, q], .controlCharacter, at: 1),
    RejectCase("n_raw_control_after_escape", bytes: [q, 0x5C, 0x6E, 0x1F, q], .controlCharacter, at: 3),
    RejectCase("n_invalid_escape", #""\x41""#, .invalidEscape, at: 1),
    RejectCase("n_escaped_apostrophe", #""\'""#, .invalidEscape, at: 1),
    RejectCase("n_short_unicode_escape", #""\u12""#, .invalidEscape, at: 5),
    RejectCase("n_bad_hex_in_unicode_escape", #""\u00G0""#, .invalidEscape, at: 5),
    RejectCase("n_capital_U_escape", #""\U0041""#, .invalidEscape, at: 1),
    RejectCase("n_lone_high_surrogate", #""\uD800""#, .loneSurrogate, at: 1),
    RejectCase("n_lone_low_surrogate", #""\uDC00""#, .loneSurrogate, at: 1),
    RejectCase("n_high_surrogate_then_text", #""\uD83Dabc""#, .loneSurrogate, at: 1),
    RejectCase("n_high_surrogate_then_bmp_escape", #""\uD800\u0041""#, .loneSurrogate, at: 1),
    RejectCase("n_two_high_surrogates", #""\uD800\uD800""#, .loneSurrogate, at: 1),
    RejectCase("n_reversed_surrogate_pair", #""\uDE00\uD83D""#, .loneSurrogate, at: 1),
    RejectCase("n_lone_surrogate_in_key", #"{"\uDFFF":1}"#, .loneSurrogate, at: 2),
    // Invalid UTF-8 inside strings
    RejectCase("n_utf8_ff", bytes: [q, 0xFF, q], .invalidUTF8, at: 1),
    RejectCase("n_utf8_lone_continuation", bytes: [q, 0x80, q], .invalidUTF8, at: 1),
    RejectCase("n_utf8_overlong_slash", bytes: [q, 0xC0, 0xAF, q], .invalidUTF8, at: 1),
    RejectCase("n_utf8_overlong_3byte", bytes: [q, 0xE0, 0x80, 0xAF, q], .invalidUTF8, at: 2),
    RejectCase("n_utf8_overlong_4byte", bytes: [q, 0xF0, 0x80, 0x80, 0xAF, q], .invalidUTF8, at: 2),
    RejectCase("n_utf8_encoded_surrogate", bytes: [q, 0xED, 0xA0, 0x80, q], .invalidUTF8, at: 2),
    RejectCase("n_utf8_above_max", bytes: [q, 0xF4, 0x90, 0x80, 0x80, q], .invalidUTF8, at: 2),
    RejectCase("n_utf8_f5_lead", bytes: [q, 0xF5, 0x80, 0x80, 0x80, q], .invalidUTF8, at: 1),
    RejectCase("n_utf8_truncated_before_quote", bytes: [q, 0xE2, 0x82, q], .invalidUTF8, at: 3),
    RejectCase("n_utf8_truncated_at_end", bytes: [q, 0xE2, 0x82], .invalidUTF8, at: 1),
    RejectCase("n_utf8_bad_after_escape", bytes: [q, 0x5C, 0x74, 0xC3, 0x28, q], .invalidUTF8, at: 4),
    RejectCase("n_utf8_in_key", bytes: Array(#"{""#.utf8) + [0xFE] + Array(#"":1}"#.utf8), .invalidUTF8, at: 2),
    // Depth
    RejectCase("n_arrays_beyond_max_depth", String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
               .nestingTooDeep, at: 64),
    RejectCase("n_objects_beyond_max_depth", String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65),
               .nestingTooDeep, at: 64 * 5),
    RejectCase("n_100k_open_brackets", String(repeating: "[", count: 100_000), .nestingTooDeep, at: 64),
]

@Suite("Rejected documents")
struct RejectTests {
    @Test(arguments: rejectCases)
    func rejectsWithCodeAndOffset(_ reject: RejectCase) {
        do {
            let value = try JSON.parse(reject.fixture.bytes)
            Issue.record("accepted as \(value)")
        } catch {
            #expect(error.code == reject.code, "\(error)")
            #expect(error.offset == reject.offset, "\(error)")
            #expect(!error.reason.isEmpty)
        }
    }

    @Test func reasonsAreHumanReadable() {
        #expect(reason("x") == "unexpected character 'x'")
        #expect(reason(#""abc"#) == "unterminated string")
        #expect(reason(String(repeating: "[", count: 65)) == "nesting too deep (maxDepth 64)")
        #expect(reason("[1,]") == "unexpected character ']'")
        #expect(reason(#"{"a"}"#) == "unexpected character '}', expected ':'")
        #expect(reason("1 2") == "unexpected character '2' after JSON value")
        #expect(reason("\u{1}") == "unexpected byte 0x01")
        #expect(reason("\"\u{1}\"") == "control character 0x01 in string must be escaped")
        #expect(reason("1e400") == "number out of range")
        #expect(reason("01") == "leading zero in number")
        #expect(reason(#""\uD800""#) == "lone high surrogate in \\u escape")
    }

    @Test func descriptionMentionsOffset() {
        #expect(throws: JSONParseError(offset: 3, reason: "unexpected character ']'", code: .unexpectedCharacter)) {
            try JSON.parse("[1,]")
        }
        let error = JSONParseError(offset: 3, reason: "unexpected character ']'", code: .unexpectedCharacter)
        #expect(error.description == "invalid JSON at byte 3: unexpected character ']'")
    }

    @Test func stringEntryPointReportsUTF8ByteOffsets() {
        #expect(throws: JSONParseError(offset: 6, reason: "unexpected character ']'", code: .unexpectedCharacter)) {
            try JSON.parse("[\"é\",]")
        }
    }

    private func reason(_ text: String) -> String? {
        do {
            _ = try JSON.parse(text)
            return nil
        } catch {
            return error.reason
        }
    }
}
