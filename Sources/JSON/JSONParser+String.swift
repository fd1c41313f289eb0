extension JSONParser {
    /// Parses a string starting at the opening quote. UTF-8 is validated here, byte by byte, so the
    /// error can point at the offending offset and the final `String` construction is a plain copy.
    mutating func parseString() throws(JSONParseError) -> String {
        let open = index
        index += 1
        let contentStart = index
        // Fast path: no escapes — the string is a direct slice of the input.
        while index < end {
            let b = byte(at: index)
            if b == UInt8(ascii: "\"") {
                let s = makeString(from: contentStart, to: index)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw controlCharacter(b) }
            if b < 0x80 { index += 1 } else { try skipUTF8Sequence() }
        }
        guard index < end else {
            throw JSONParseError(offset: open, reason: "unterminated string", code: .unterminatedString)
        }
        // Slow path: copy what we have so far, then decode escapes into the scratch buffer.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: base.unsafelyUnwrapped + contentStart, count: index - contentStart))
        while index < end {
            let b = byte(at: index)
            if b == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") {
                try parseEscape()
            } else if b < 0x20 {
                throw controlCharacter(b)
            } else if b < 0x80 {
                scratch.append(b)
                index += 1
            } else {
                let start = index
                try skipUTF8Sequence()
                scratch.append(contentsOf: UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: index - start))
            }
        }
        throw JSONParseError(offset: open, reason: "unterminated string", code: .unterminatedString)
    }

    @inline(__always)
    func makeString(from start: Int, to stop: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: stop - start), as: UTF8.self)
    }

    func controlCharacter(_ b: UInt8) -> JSONParseError {
        JSONParseError(
            offset: index, reason: "control character 0x\(b < 0x10 ? "0" : "")\(String(b, radix: 16, uppercase: true)) in string must be escaped",
            code: .controlCharacter)
    }

    /// Validates one multi-byte UTF-8 sequence at `index` (lead byte >= 0x80) and advances past it.
    /// Follows Unicode Table 3-7: rejects overlongs, encoded surrogates and code points above U+10FFFF.
    @inline(__always)
    mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = byte(at: index)
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw invalidUTF8(at: index)
        }
        guard index + length <= end else {
            throw invalidUTF8(at: index)
        }
        let second = byte(at: index + 1)
        guard second >= lower && second <= upper else { throw invalidUTF8(at: index + 1) }
        var i = 2
        while i < length {
            let b = byte(at: index + i)
            guard b & 0xC0 == 0x80 else { throw invalidUTF8(at: index + i) }
            i += 1
        }
        index += length
    }

    func invalidUTF8(at offset: Int) -> JSONParseError {
        if offset >= end {
            return JSONParseError(offset: offset, reason: "truncated UTF-8 sequence", code: .invalidUTF8)
        }
        let hex = String(byte(at: offset), radix: 16, uppercase: true)
        return JSONParseError(offset: offset, reason: "invalid UTF-8 byte 0x\(hex)", code: .invalidUTF8)
    }

    /// Decodes one escape at `index` (which points at the backslash) into `scratch`.
    mutating func parseEscape() throws(JSONParseError) {
        let start = index
        guard index + 1 < end else {
            throw JSONParseError(offset: index + 1, reason: "unexpected end of input", code: .unexpectedEnd)
        }
        let c = byte(at: index + 1)
        index += 2
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                // A high surrogate is only valid when immediately followed by an escaped low surrogate.
                guard index + 1 < end, byte(at: index) == UInt8(ascii: "\\"), byte(at: index + 1) == UInt8(ascii: "u") else {
                    throw JSONParseError(offset: start, reason: "lone high surrogate in \\u escape", code: .loneSurrogate)
                }
                index += 2
                let low = UInt32(try parseHex4())
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw JSONParseError(offset: start, reason: "lone high surrogate in \\u escape", code: .loneSurrogate)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw JSONParseError(offset: start, reason: "lone low surrogate in \\u escape", code: .loneSurrogate)
            }
            appendUTF8(scalar)
        default:
            throw JSONParseError(offset: start, reason: "invalid escape sequence", code: .invalidEscape)
        }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard index < end else {
                throw JSONParseError(offset: index, reason: "unexpected end of input", code: .unexpectedEnd)
            }
            let b = byte(at: index)
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b &- UInt8(ascii: "A") &+ 10
            default:
                throw JSONParseError(offset: index, reason: "invalid hex digit in \\u escape", code: .invalidEscape)
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
