import CCrypto

/// API keys look like `ag_<key id: 12><secret: 32>` — 44 base62 characters from the OS CSPRNG
/// (~262 bits). The key id is the lookup handle (stored in clear, shown by `keys list`); only
/// sha256(full key) is stored, and the comparison of hashes is constant-time.
public enum APIKeyFormat {
    public static let prefix = "ag_"
    public static let keyIDLength = 12
    public static let secretLength = 32
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new key and its id.
    public static func generate() -> (key: String, keyID: String) {
        let body = randomBase62(count: keyIDLength + secretLength)
        return (prefix + body, String(body.prefix(keyIDLength)))
    }

    /// The key id of a well-formed key, or nil.
    public static func keyID(of key: String) -> String? {
        let utf8 = Array(key.utf8)
        guard key.hasPrefix(prefix), utf8.count == prefix.utf8.count + keyIDLength + secretLength,
              utf8.dropFirst(prefix.utf8.count).allSatisfy({ alphabet.contains($0) })
        else { return nil }
        return String(decoding: utf8[prefix.utf8.count..<(prefix.utf8.count + keyIDLength)], as: UTF8.self)
    }

    public static func hash(_ key: String) -> String { ReceiptHash.sha256Hex(Array(key.utf8)) }

    /// Constant-time equality of two equal-length hex digests (length is public).
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    /// Unbiased base62 from CSPRNG bytes (rejection sampling: bytes >= 248 are redrawn).
    static func randomBase62(count: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var buffer = [UInt8](repeating: 0, count: 64)
        while out.count < count {
            precondition(ag_random_bytes(&buffer, Int32(buffer.count)) == 1, "CSPRNG failure")
            for b in buffer where b < 248 && out.count < count {
                out.append(alphabet[Int(b) % 62])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
