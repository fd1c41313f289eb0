#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JSON: CustomStringConvertible {
    /// Appends the compact serialization (no whitespace) of `self` to `buffer`.
    ///
    /// With `sortedKeys`, object members are ordered by the UTF-8 bytes of their keys (equivalently,
    /// by code point). Unlike `canonicalBytes`, this keeps the integer/double distinction so that
    /// parse → serialize → parse is the identity: `.double(1)` is written `1.0`, not `1`.
    /// Non-finite doubles (only constructible in code) are written as `null`.
    public func serialize(into buffer: inout [UInt8], sortedKeys: Bool = false) {
        write(into: &buffer, sortedKeys: sortedKeys, canonical: false)
    }

    func write(into buffer: inout [UInt8], sortedKeys: Bool, canonical: Bool) {
        switch self {
        case .null:
            buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
        case .bool(true):
            buffer.append(contentsOf: [0x74, 0x72, 0x75, 0x65])  // true
        case .bool(false):
            buffer.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])  // false
        case .int(let value):
            JSONNumberFormat.appendInteger(value, to: &buffer)
        case .double(let value):
            JSONNumberFormat.appendDouble(value, canonical: canonical, to: &buffer)
        case .string(let value):
            JSONEscaping.appendQuoted(value, to: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                element.write(into: &buffer, sortedKeys: sortedKeys, canonical: canonical)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let members):
            buffer.append(UInt8(ascii: "{"))
            var first = true
            if sortedKeys {
                let ordered = members.sorted { JSON.utf8Precedes($0.key, $1.key) }
                for (key, value) in ordered {
                    if !first { buffer.append(UInt8(ascii: ",")) }
                    first = false
                    JSONEscaping.appendQuoted(key, to: &buffer)
                    buffer.append(UInt8(ascii: ":"))
                    value.write(into: &buffer, sortedKeys: true, canonical: canonical)
                }
            } else {
                for (key, value) in members {
                    if !first { buffer.append(UInt8(ascii: ",")) }
                    first = false
                    JSONEscaping.appendQuoted(key, to: &buffer)
                    buffer.append(UInt8(ascii: ":"))
                    value.write(into: &buffer, sortedKeys: false, canonical: canonical)
                }
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    /// Byte-wise UTF-8 order (the canonical key order), compared with `memcmp` on the strings' own
    /// storage rather than element by element through `String.UTF8View`.
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = min(pa.count, pb.count)
                if n > 0, let x = pa.baseAddress, let y = pb.baseAddress {
                    let c = memcmp(x, y, n)
                    if c != 0 { return c < 0 }
                }
                return pa.count < pb.count
            }
        }
    }

    /// The compact serialization of `self` as a new byte array.
    public func serialized(sortedKeys: Bool = false) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        serialize(into: &buffer, sortedKeys: sortedKeys)
        return buffer
    }

    /// Canonical form used for hashing: sorted keys, no whitespace, UTF-8, minimal string escaping,
    /// integers in decimal, integral doubles within ±2^53 as integers, other doubles in Swift's
    /// shortest round-trip form with a lowercase `e` and no `+` or leading zeros in the exponent.
    /// Two documents that differ only in key order, whitespace, escaping choices or `1` vs `1.0`
    /// have the same canonical bytes.
    public var canonicalBytes: [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        write(into: &buffer, sortedKeys: true, canonical: true)
        return buffer
    }

    /// Compact JSON text (unsorted keys).
    public var description: String {
        String(decoding: serialized(), as: UTF8.self)
    }
}
