/// `redis://[[user]:password@]host[:port][/db]`, parsed without Foundation's URL so that the rules
/// (and what ends up in error messages) are ours. TLS (`rediss://`) is not supported.
struct RedisURL: Sendable, Equatable {
    var host: String
    var port: UInt16
    var username: String?
    var password: String?
    var database: Int

    /// `host:port/db`, safe to log: never includes credentials.
    var redacted: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    init(host: String, port: UInt16 = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    init(parsing text: String) throws(RateLimitError) {
        let scheme = "redis://"
        guard text.lowercased().hasPrefix(scheme) else {
            throw Self.invalid(text.lowercased().hasPrefix("rediss://")
                ? "TLS (rediss://) is not supported" : "must start with redis://")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }

        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        // The password may itself contain '@', so split at the last one.
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let user = try Self.percentDecoded(userinfo[..<colon])
                username = user.isEmpty ? nil : user
                password = try Self.percentDecoded(userinfo[userinfo.index(after: colon)...])
            } else {
                // Clients disagree on whether a lone `x@` is a user or a password; refuse to guess.
                throw Self.invalid("credentials must be written as :password@ or user:password@")
            }
        }
        let (host, port) = try Self.hostAndPort(rest)
        var database = 0
        if !path.isEmpty {
            guard let db = Int(path), db >= 0, db <= 1_000_000 else {
                throw Self.invalid("database must be a non-negative integer")
            }
            database = db
        }
        self.init(host: host, port: port, username: username, password: password, database: database)
    }

    private static func hostAndPort(_ text: Substring) throws(RateLimitError) -> (String, UInt16) {
        var host = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
            else if !after.isEmpty { throw invalid("unexpected text after IPv6 address") }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw invalid("missing host") }
        var port: UInt16 = 6379
        if let portText {
            guard let p = UInt16(portText), p > 0 else { throw invalid("port must be in 1...65535") }
            port = p
        }
        return (String(host), port)
    }

    private static func percentDecoded(_ text: Substring) throws(RateLimitError) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else {
                throw invalid("bad percent-encoding in credentials")
            }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Deliberately never echoes the URL: it may hold a password.
    private static func invalid(_ why: String) -> RateLimitError {
        RateLimitError(.invalidURL, "invalid Redis URL: \(why)")
    }
}
