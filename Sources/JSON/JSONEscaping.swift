/// Writing JSON string literals.
public enum JSONEscaping {
    /// Appends `s` as a quoted JSON string, escaping minimally: `"` `\` and U+0000...U+001F only, with
    /// the short forms `\b \f \n \r \t` and lowercase `\u00xx` otherwise. Everything else, including
    /// non-ASCII, is copied as raw UTF-8. This is also the canonical form used for hashing.
    public static func appendQuoted(_ s: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in appendEscaped(utf8, to: &buffer) }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Escapes already-valid UTF-8 bytes (without surrounding quotes), copying unescaped runs in bulk.
    static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        var runStart = 0
        var i = 0
        let count = utf8.count
        while i < count {
            let b = utf8[i]
            if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            if runStart < i {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
            }
            buffer.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
            case 0x08: buffer.append(UInt8(ascii: "b"))
            case 0x0C: buffer.append(UInt8(ascii: "f"))
            case 0x0A: buffer.append(UInt8(ascii: "n"))
            case 0x0D: buffer.append(UInt8(ascii: "r"))
            case 0x09: buffer.append(UInt8(ascii: "t"))
            default:
                let hex: StaticString = "0123456789abcdef"
                buffer.append(UInt8(ascii: "u"))
                buffer.append(UInt8(ascii: "0"))
                buffer.append(UInt8(ascii: "0"))
                buffer.append(hex.utf8Start[Int(b >> 4)])
                buffer.append(hex.utf8Start[Int(b & 0xF)])
            }
            i += 1
            runStart = i
        }
        if runStart < count {
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        }
    }
}
