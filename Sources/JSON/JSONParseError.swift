/// Why `JSON.parse` rejected its input.
///
/// `code` is stable and meant for programs; `reason` is for humans and may get more specific over time.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset into the input where the problem was detected.
    public var offset: Int
    /// Human-readable explanation, e.g. "unexpected character 'x'".
    public var reason: String
    /// Stable classification of the failure.
    public var code: Code

    public init(offset: Int, reason: String, code: Code) {
        self.offset = offset
        self.reason = reason
        self.code = code
    }

    public var description: String {
        "invalid JSON at byte \(offset): \(reason)"
    }

    /// Extensible set of failure classes (a struct rather than an enum so adding one is not breaking).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Input was empty or whitespace only, or ended in the middle of a value.
        public static let unexpectedEnd = Code("unexpected_end")
        /// A byte that cannot start or continue the current construct (includes BOM, comments, NaN).
        public static let unexpectedCharacter = Code("unexpected_character")
        /// Something other than whitespace follows the single top-level value.
        public static let trailingData = Code("trailing_data")
        /// A misspelt `true`, `false` or `null`.
        public static let invalidLiteral = Code("invalid_literal")
        /// Number grammar violation: leading zero, missing digits, lone minus sign.
        public static let invalidNumber = Code("invalid_number")
        /// A number whose magnitude overflows `Double`.
        public static let numberOutOfRange = Code("number_out_of_range")
        /// A string with no closing quote.
        public static let unterminatedString = Code("unterminated_string")
        /// An unescaped byte below U+0020 inside a string.
        public static let controlCharacter = Code("control_character")
        /// An unknown backslash escape or malformed `\u` hex digits.
        public static let invalidEscape = Code("invalid_escape")
        /// A `\u` escape that yields an unpaired UTF-16 surrogate.
        public static let loneSurrogate = Code("lone_surrogate")
        /// Bytes that are not well-formed UTF-8.
        public static let invalidUTF8 = Code("invalid_utf8")
        /// Arrays/objects nested deeper than `maxDepth`.
        public static let nestingTooDeep = Code("nesting_too_deep")
    }
}
