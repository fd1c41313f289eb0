extension JSONParser {
    /// Parses `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    ///
    /// Integers that fit `Int64` become `.int`. Other numbers take Clinger's fast path when the decimal
    /// significand fits in 53 bits and the power of ten is at most 22 (both operands exact, so one
    /// correctly rounded operation); everything else falls back to the standard library's correctly
    /// rounded conversion.
    mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = index
        var negative = false
        if byte(at: index) == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < end else { throw unexpected(at: index) }
        var significand: UInt64 = 0
        var significandOverflow = false
        let first = byte(at: index)
        if first == UInt8(ascii: "0") {
            index += 1
            if index < end, isDigit(byte(at: index)) {
                throw invalidNumber(start, "leading zero in number")
            }
        } else if isDigit(first) {
            accumulateDigits(&significand, &significandOverflow)
        } else {
            throw invalidNumber(start, "expected digit after '-'")
        }

        var fractionDigits = 0
        var isInteger = true
        if index < end && byte(at: index) == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fractionStart = index
            accumulateDigits(&significand, &significandOverflow)
            fractionDigits = index - fractionStart
            guard fractionDigits > 0 else { throw invalidNumber(index, "expected digit after decimal point") }
        }

        var exponent = 0
        if index < end && (byte(at: index) | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            var exponentNegative = false
            if index < end && (byte(at: index) == UInt8(ascii: "+") || byte(at: index) == UInt8(ascii: "-")) {
                exponentNegative = byte(at: index) == UInt8(ascii: "-")
                index += 1
            }
            let exponentStart = index
            while index < end, isDigit(byte(at: index)) {
                // Saturate: anything this large is already 0 or infinity, and we must not overflow Int.
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(byte(at: index) &- UInt8(ascii: "0")) }
                index += 1
            }
            guard index > exponentStart else { throw invalidNumber(index, "expected digit in exponent") }
            if exponentNegative { exponent = -exponent }
        }

        if isInteger && !significandOverflow {
            if negative {
                if significand <= UInt64(Int64.max) + 1 {
                    return .int(significand == UInt64(Int64.max) + 1 ? Int64.min : -Int64(significand))
                }
            } else if significand <= UInt64(Int64.max) {
                return .int(Int64(significand))
            }
        }

        let power = exponent - fractionDigits
        if !significandOverflow && significand <= 1 << 53 && power >= -22 && power <= 22 {
            var value = Double(significand)
            if power < 0 {
                value /= JSONParser.powersOfTen[-power]
            } else {
                value *= JSONParser.powersOfTen[power]
            }
            return .double(negative ? -value : value)
        }
        return .double(try slowDouble(from: start))
    }

    @inline(__always)
    func isDigit(_ b: UInt8) -> Bool {
        b &- UInt8(ascii: "0") < 10
    }

    @inline(__always)
    mutating func accumulateDigits(_ significand: inout UInt64, _ overflow: inout Bool) {
        while index < end {
            let digit = byte(at: index) &- UInt8(ascii: "0")
            guard digit < 10 else { return }
            if !overflow {
                let (times10, o1) = significand.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
                if o1 || o2 { overflow = true } else { significand = sum }
            }
            index += 1
        }
    }

    func slowDouble(from start: Int) throws(JSONParseError) -> Double {
        // Grammar is already validated, and Swift's parser accepts exactly this superset.
        let text = makeString(from: start, to: index)
        guard let value = Double(text), value.isFinite else {
            throw JSONParseError(offset: start, reason: "number out of range", code: .numberOutOfRange)
        }
        return value
    }

    func invalidNumber(_ offset: Int, _ reason: String) -> JSONParseError {
        if offset >= end {
            return JSONParseError(offset: offset, reason: "unexpected end of input", code: .unexpectedEnd)
        }
        return JSONParseError(offset: offset, reason: reason, code: .invalidNumber)
    }

    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
}
