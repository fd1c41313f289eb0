/// Number rendering shared by compact and canonical serialization.
enum JSONNumberFormat {
    static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {
            buffer.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        // 20 digits is enough for UInt64.max; fill from the right, then copy once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var position = 20
            while magnitude > 0 {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[position..<20]))
        }
    }

    /// `canonical` writes integral values within ±2^53 as integers; otherwise the double keeps a
    /// fraction or exponent (e.g. `1.0`) so it reparses as a double.
    static func appendDouble(_ value: Double, canonical: Bool, to buffer: inout [UInt8]) {
        guard value.isFinite else {
            buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null: never emit invalid JSON
            return
        }
        // Integral values that every IEEE consumer reads back exactly are written as integers, so
        // 1.0 and 1 hash the same however the producer happened to type them.
        if canonical, value.magnitude <= 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            appendInteger(Int64(value), to: &buffer)
            return
        }
        // Swift's description is the shortest round-trip form, e.g. "0.1", "1.0", "1e-07", "1.5e+300".
        // Normalise the exponent to "e-7" / "e300".
        let text = value.description
        var exponentSeen = false
        var skippingZeros = false
        for b in text.utf8 {
            if exponentSeen {
                if b == UInt8(ascii: "+") { continue }
                if b == UInt8(ascii: "-") { buffer.append(b); continue }
                if skippingZeros && b == UInt8(ascii: "0") { continue }
                skippingZeros = false
                buffer.append(b)
            } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                exponentSeen = true
                skippingZeros = true
                buffer.append(UInt8(ascii: "e"))
            } else {
                buffer.append(b)
            }
        }
    }
}
