/// Incremental RESP2 reply parser. Pure: no I/O, no state between calls.
///
/// Contract: `parse(buffer)` looks at one reply at the start of `buffer` and returns
/// `.complete(value, consumed)` with the number of bytes it used, `.incomplete` when more bytes are
/// needed (call again with the grown buffer), or throws `RateLimitError(.protocolViolation)` for bytes
/// that can never become a valid reply. Limits on line length, bulk size, array length and nesting
/// turn a hostile or confused peer into an error rather than unbounded memory or recursion. Replies
/// this module expects are tiny, so re-parsing from the start after each read is cheap.
struct RESPParser: Sendable {
    struct Limits: Sendable {
        var maxLineLength = 64 * 1024
        var maxBulkLength = 1 << 20
        var maxArrayCount = 1024
        var maxDepth = 8
    }

    enum Outcome: Sendable, Equatable {
        case complete(RESPValue, consumed: Int)
        case incomplete
    }

    var limits = Limits()

    func parse(_ buffer: [UInt8]) throws(RateLimitError) -> Outcome {
        var index = 0
        guard let value = try parseValue(buffer, &index, depth: 0) else { return .incomplete }
        return .complete(value, consumed: index)
    }

    /// nil means "incomplete"; `index` is only meaningful after a non-nil result.
    private func parseValue(_ b: [UInt8], _ index: inout Int, depth: Int) throws(RateLimitError) -> RESPValue? {
        guard index < b.count else { return nil }
        let type = b[index]
        guard Self.types.contains(type) else { throw Self.violation("unknown reply type byte \(type)") }
        index += 1
        guard let line = try readLine(b, &index) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"):
            return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"):
            return .integer(try Self.integer(line))
        case UInt8(ascii: "$"):
            let length = try Self.integer(line)
            if length == -1 { return .bulkString(nil) }
            guard length >= 0, length <= limits.maxBulkLength else {
                throw Self.violation("bulk length \(length) out of range")
            }
            let end = index + Int(length)
            guard end + 2 <= b.count else { return nil }
            guard b[end] == 13, b[end + 1] == 10 else { throw Self.violation("bulk string not terminated by CRLF") }
            let payload = Array(b[index..<end])
            index = end + 2
            return .bulkString(payload)
        case UInt8(ascii: "*"):
            let count = try Self.integer(line)
            if count == -1 { return .array(nil) }
            guard count >= 0, count <= limits.maxArrayCount else {
                throw Self.violation("array length \(count) out of range")
            }
            guard depth < limits.maxDepth else { throw Self.violation("arrays nested too deeply") }
            var elements: [RESPValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let element = try parseValue(b, &index, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw Self.violation("unknown reply type byte \(type)")
        }
    }

    /// The bytes up to the next CRLF (exclusive), advancing past it; nil if no CRLF yet.
    private func readLine(_ b: [UInt8], _ index: inout Int) throws(RateLimitError) -> ArraySlice<UInt8>? {
        var i = index
        while i < b.count {
            if b[i] == 10 { throw Self.violation("bare LF in reply line") }
            if b[i] == 13 {
                guard i + 1 < b.count else { return nil }
                guard b[i + 1] == 10 else { throw Self.violation("CR not followed by LF") }
                let line = b[index..<i]
                index = i + 2
                return line
            }
            i += 1
            if i - index > limits.maxLineLength { throw Self.violation("reply line too long") }
        }
        return nil
    }

    /// Strict decimal: optional '-', at least one digit, nothing else, no overflow.
    static func integer(_ line: ArraySlice<UInt8>) throws(RateLimitError) -> Int64 {
        var digits = line[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 19 else { throw violation("malformed integer") }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= 48, byte <= 57 else { throw violation("malformed integer") }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(byte - 48))
            guard !o1, !o2 else { throw violation("integer overflow") }
            value = s
        }
        return negative ? -value : value
    }

    /// `+ - : $ *`: the RESP2 reply types. Anything else (RESP3, or not Redis at all) is rejected at once.
    static let types: Set<UInt8> = [43, 45, 58, 36, 42]

    static func violation(_ why: String) -> RateLimitError {
        RateLimitError(.protocolViolation, "invalid RESP reply: \(why)")
    }
}
