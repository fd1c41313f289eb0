/// Where the server listens, parsed from a URL such as `http://127.0.0.1:8080` or
/// `http://gate.internal/prefix`. Only `http` is spoken: TLS belongs to a proxy or a sidecar in
/// front of the client (this library has no TLS stack and depends on nothing that would bring one).
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path prefix before `/v1` (empty, or starting with `/`, without a trailing slash).
    public var basePath: String

    public init(host: String, port: Int, basePath: String = "") {
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `http://host[:port][/prefix]`. IPv6 literals go in brackets.
    public init(url: String) throws(AsyncGateError) {
        func bad(_ why: String) -> AsyncGateError {
            AsyncGateError(code: .invalidRequest, message: "server URL \(url): \(why)", requestNotSent: true)
        }
        var rest = Substring(url)
        let scheme = "http://"
        guard rest.lowercased().hasPrefix(scheme) else {
            throw bad(rest.lowercased().hasPrefix("https://") ? "https is not supported (put TLS in a proxy)" : "must start with http://")
        }
        rest = rest.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var path = String(rest.dropFirst(authority.count).prefix { $0 != "?" && $0 != "#" })
        while path.hasSuffix("/") { path.removeLast() }
        guard !authority.isEmpty, !authority.contains("@") else { throw bad("needs a host (and no credentials)") }
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw bad("unterminated IPv6 literal") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw bad("junk after the IPv6 literal") }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        var port = 80
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw bad("port must be 1...65535") }
            port = p
        }
        guard !hostPart.isEmpty else { throw bad("needs a host") }
        self.init(host: String(hostPart), port: port, basePath: path)
    }

    /// The value of the `Host` header.
    var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? h : "\(h):\(port)"
    }

    public var description: String { "http://\(hostHeader)\(basePath)" }
}
