/// `%XX` decoding for paths and query components (RFC 3986 §2.1).
enum PercentDecoding {
    /// Decodes `%XX`; returns nil when an escape is malformed. `+` is left alone (paths).
    static func decodePath<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        guard bytes.contains(UInt8(ascii: "%")) else { return String(decoding: bytes, as: UTF8.self) }
        guard let decoded = decode(bytes, plusIsSpace: false) else { return nil }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// Decodes `%XX` and `+` → space; malformed escapes keep the raw text.
    static func decodeQueryComponent<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if let decoded = decode(bytes, plusIsSpace: true) {
            return String(decoding: decoded, as: UTF8.self)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func decode<C: Collection>(_ bytes: C, plusIsSpace: Bool) -> [UInt8]? where C.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                guard first != bytes.endIndex else { return nil }
                let second = bytes.index(after: first)
                guard second != bytes.endIndex,
                      let high = hexValue(bytes[first]), let low = hexValue(bytes[second]) else { return nil }
                output.append(high << 4 | low)
                index = bytes.index(after: second)
            } else {
                output.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = bytes.index(after: index)
            }
        }
        return output
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }
}
