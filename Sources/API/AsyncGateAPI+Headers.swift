import HTTP

extension AsyncGateAPI {
    /// Headers every API response carries: no sniffing, no caching of API data, no framing.
    static func addSecurityHeaders(_ response: inout HTTPResponse, production: Bool) {
        response.headers.replaceOrAdd("X-Content-Type-Options", "nosniff")
        response.headers.replaceOrAdd("Cache-Control", "no-store")
        response.headers.replaceOrAdd("X-Frame-Options", "DENY")
        response.headers.replaceOrAdd("Referrer-Policy", "no-referrer")
        response.headers.replaceOrAdd("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        if production { response.headers.replaceOrAdd("Strict-Transport-Security", "max-age=31536000") }
    }

    static let corsAllowedHeaders = "Authorization, Content-Type, X-API-Key, X-Tenant-ID, X-Request-ID, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID"
    static let corsExposedHeaders = "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, Mcp-Session-Id, Deprecation, Link"

    func isAllowedOrigin(_ origin: String) -> Bool {
        configuration.corsAllowedOrigins.contains(origin)
    }

    /// CORS preflight: allowed origins get the methods and headers we accept; others a 403. The
    /// origin is echoed, never `*`, so credentials can never be shared with an arbitrary site.
    func preflight(_ request: HTTPRequest) -> HTTPResponse {
        guard let origin = request.headers["Origin"], isAllowedOrigin(origin) else {
            var r = ErrorMapping.response(.init(.forbidden, "origin not allowed"), requestID: request.requestID)
            r.headers.add("Vary", "Origin")
            return r
        }
        var r = HTTPResponse(status: 204)
        r.headers.add("Access-Control-Allow-Origin", origin)
        r.headers.add("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
        r.headers.add("Access-Control-Allow-Headers", Self.corsAllowedHeaders)
        r.headers.add("Access-Control-Max-Age", "600")
        r.headers.add("Vary", "Origin")
        return r
    }

    func addCORSHeaders(_ response: inout HTTPResponse, request: HTTPRequest) {
        guard let origin = request.headers["Origin"] else { return }
        response.headers.add("Vary", "Origin")
        if isAllowedOrigin(origin) {
            response.headers.replaceOrAdd("Access-Control-Allow-Origin", origin)
            response.headers.replaceOrAdd("Access-Control-Expose-Headers", Self.corsExposedHeaders)
        }
    }
}
