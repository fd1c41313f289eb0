/// Strict, non-incremental recursive-descent parser over a borrowed byte buffer.
///
/// It reads through a raw pointer with unchecked indexing — every read is preceded by an explicit
/// `index < end` test — because this sits on every request. Recursion depth is bounded by `maxDepth`,
/// so a hostile document cannot exhaust the stack.
struct JSONParser {
    let base: UnsafePointer<UInt8>?
    let end: Int
    let maxDepth: Int
    var index = 0
    var depth = 0
    /// Reused buffer for strings that contain escapes (escape-free strings are copied straight out).
    var scratch: [UInt8] = []
    /// Members of all currently open objects, innermost last. Collecting them before building the
    /// dictionary lets it be allocated once at the right size instead of growing while we insert.
    var pendingMembers: [(String, JSON)] = []

    init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        self.end = bytes.count
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        skipWhitespace()
        guard index < end else {
            throw JSONParseError(offset: index, reason: "empty input", code: .unexpectedEnd)
        }
        let value = try parseValue()
        skipWhitespace()
        if index < end {
            throw JSONParseError(
                offset: index, reason: "\(JSONParser.describe(byte(at: index))) after JSON value", code: .trailingData)
        }
        return value
    }

    // MARK: - Primitives

    @inline(__always)
    func byte(at i: Int) -> UInt8 {
        base.unsafelyUnwrapped[i]
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < end {
            switch byte(at: index) {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                index += 1
            default:
                return
            }
        }
    }

    func unexpected(at offset: Int) -> JSONParseError {
        if offset >= end {
            return JSONParseError(offset: offset, reason: "unexpected end of input", code: .unexpectedEnd)
        }
        return JSONParseError(offset: offset, reason: JSONParser.describe(byte(at: offset)), code: .unexpectedCharacter)
    }

    /// "unexpected character 'x'" for printable ASCII, "unexpected byte 0xEF" otherwise, so error
    /// messages never echo raw control or non-UTF-8 bytes back to clients.
    static func describe(_ b: UInt8) -> String {
        if b >= 0x20 && b < 0x7F {
            return "unexpected character '\(Character(Unicode.Scalar(b)))'"
        }
        let hex = String(b, radix: 16, uppercase: true)
        return "unexpected byte 0x\(b < 0x10 ? "0" : "")\(hex)"
    }

    // MARK: - Values

    mutating func parseValue() throws(JSONParseError) -> JSON {
        guard index < end else { throw unexpected(at: index) }
        switch byte(at: index) {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw unexpected(at: index)
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        let bytes = literal.utf8Start
        var i = 0
        while i < count {
            guard start + i < end, byte(at: start + i) == bytes[i] else {
                let offset = start + i
                if offset >= end { throw unexpected(at: offset) }
                throw JSONParseError(offset: start, reason: "invalid literal, expected '\(literal)'", code: .invalidLiteral)
            }
            i += 1
        }
        index = start + count
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth {
            throw JSONParseError(offset: index, reason: "nesting too deep (maxDepth \(maxDepth))", code: .nestingTooDeep)
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSON {
        try enterContainer()
        index += 1  // '['
        skipWhitespace()
        if index < end && byte(at: index) == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array([])
        }
        var elements: [JSON] = []
        while true {
            skipWhitespace()
            let element = try parseValue()
            elements.append(element)
            skipWhitespace()
            guard index < end else { throw unexpected(at: index) }
            let b = byte(at: index)
            index += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "]") { break }
            throw JSONParseError(
                offset: index - 1, reason: "\(JSONParser.describe(b)), expected ',' or ']'", code: .unexpectedCharacter)
        }
        depth -= 1
        return .array(elements)
    }

    mutating func parseObject() throws(JSONParseError) -> JSON {
        try enterContainer()
        index += 1  // '{'
        skipWhitespace()
        if index < end && byte(at: index) == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object([:])
        }
        let firstMember = pendingMembers.count
        while true {
            skipWhitespace()
            guard index < end else { throw unexpected(at: index) }
            guard byte(at: index) == UInt8(ascii: "\"") else {
                throw JSONParseError(
                    offset: index, reason: "\(JSONParser.describe(byte(at: index))), expected string key",
                    code: .unexpectedCharacter)
            }
            let key = try parseString()
            skipWhitespace()
            guard index < end else { throw unexpected(at: index) }
            guard byte(at: index) == UInt8(ascii: ":") else {
                throw JSONParseError(
                    offset: index, reason: "\(JSONParser.describe(byte(at: index))), expected ':'",
                    code: .unexpectedCharacter)
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            pendingMembers.append((key, value))
            skipWhitespace()
            guard index < end else { throw unexpected(at: index) }
            let b = byte(at: index)
            index += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "}") { break }
            throw JSONParseError(
                offset: index - 1, reason: "\(JSONParser.describe(b)), expected ',' or '}'", code: .unexpectedCharacter)
        }
        var members: [String: JSON] = Dictionary(minimumCapacity: pendingMembers.count - firstMember)
        for i in firstMember..<pendingMembers.count {
            let (key, value) = pendingMembers[i]
            members[key] = value  // duplicate keys: last wins
        }
        pendingMembers.removeSubrange(firstMember...)
        depth -= 1
        return .object(members)
    }
}
