/// Request ids: the client's `X-Request-ID` when it is safe to echo, else a fresh random id
/// (UUID v4 text). One generator per I/O thread, seeded from the system CSPRNG; ids are for
/// correlation, not secrets, so a fast PRNG is enough.
struct RequestIDGenerator {
    private var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    /// The client's id if it is 1...128 chars of `[A-Za-z0-9._-]`.
    static func acceptable(_ candidate: String) -> Bool {
        let utf8 = candidate.utf8
        guard (1...128).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    mutating func id(for headers: HTTPHeaders) -> String {
        if let candidate = headers["X-Request-ID"], Self.acceptable(candidate) { return candidate }
        return next()
    }

    /// wyrand (Wang Yi): fast, well-distributed 64-bit output.
    private mutating func random() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let product = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }

    mutating func next() -> String {
        var high = random(), low = random()
        high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000  // version 4
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000    // RFC 4122 variant
        var text = [UInt8]()
        text.reserveCapacity(36)
        let digits = Array("0123456789abcdef".utf8)
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 8 || index == 12 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int((high >> UInt64(shift)) & 0xF)])
        }
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 0 || index == 4 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int((low >> UInt64(shift)) & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
