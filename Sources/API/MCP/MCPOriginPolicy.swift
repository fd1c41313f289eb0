import Foundation

/// DNS-rebinding defence for the MCP endpoint (Streamable HTTP "Security"): a request that carries
/// an `Origin` header is served only when that origin is the server's own (same host and port as the
/// `Host` header), a loopback origin, or explicitly allowed. Requests without `Origin` (every
/// non-browser client) pass: the rule exists to stop web pages, which always send it.
struct MCPOriginPolicy: Sendable {
    /// Exact origins (`scheme://host[:port]`, compared case-insensitively) allowed besides the
    /// built-in ones — meant to be the API's CORS allowlist.
    var allowedOrigins: [String] = []

    func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let normalized = origin.trimmingCharacters(in: .whitespaces).lowercased()
        if allowedOrigins.contains(where: { $0.lowercased() == normalized }) { return true }
        // "null" (sandboxed frames, file://) and anything unparsable are refused.
        guard let parsed = Self.parse(normalized) else { return false }
        if Self.isLoopback(parsed.host) { return true }
        guard let host, let own = Self.parseAuthority(host.lowercased()) else { return false }
        let ownPort = own.port ?? parsed.defaultPort
        return own.host == parsed.host && ownPort == (parsed.port ?? parsed.defaultPort)
    }

    struct Origin: Equatable {
        var scheme: String
        var host: String
        var port: Int?
        var defaultPort: Int { scheme == "https" ? 443 : 80 }
    }

    static func parse(_ origin: String) -> Origin? {
        guard let schemeEnd = origin.range(of: "://") else { return nil }
        let scheme = String(origin[..<schemeEnd.lowerBound])
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = String(origin[schemeEnd.upperBound...])
        guard !rest.contains("/"), let authority = parseAuthority(rest) else { return nil }
        return Origin(scheme: scheme, host: authority.host, port: authority.port)
    }

    /// `host[:port]`, with IPv6 literals in brackets.
    static func parseAuthority(_ text: String) -> (host: String, port: Int?)? {
        guard !text.isEmpty, !text.contains("@") else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[...close])
            let after = text[text.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            guard after.hasPrefix(":"), let port = Int(after.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty else { return nil }
        switch parts.count {
        case 1: return (String(first), nil)
        case 2:
            guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
            return (String(first), port)
        default: return nil
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host == "[::1]" || host.hasPrefix("127.")
            && host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }
}
