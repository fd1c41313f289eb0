/// Bounds the size of what a caller-chosen key can cost us (memory per tracked key, bytes per Redis
/// key): keys longer than `maxLength` bytes are replaced by a digest. Callers should pass an id
/// (credential id, client IP), never a secret: keys appear in Redis.
enum RateLimitKey {
    static let maxLength = 200

    static func normalized(_ key: String) -> String {
        key.utf8.count <= maxLength ? key : "sha1:" + SHA1.hex(key)
    }
}
