import HTTP
import JSON

/// OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoint, and the
/// `WWW-Authenticate` challenge that points to it. AsyncGate is a bearer-token resource server whose
/// keys are issued out of band (`asyncgate keys`), so the document names no authorization server.
enum MCPProtectedResource {
    static let wellKnown = "/.well-known/oauth-protected-resource"
    /// The root document and the RFC 9728 path-inserted one for the `/mcp` resource.
    static let paths: Set<String> = [wellKnown, wellKnown + AsyncGateAPI.mcpPath]

    static func document(_ request: HTTPRequest) -> JSON {
        [
            "resource": .string(baseURL(request) + AsyncGateAPI.mcpPath),
            "resource_name": "AsyncGate",
            "bearer_methods_supported": ["header"],
            "resource_documentation": .string(baseURL(request) + "/v1/config"),
        ]
    }

    static func response(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.error(status: 405, code: "METHOD_NOT_ALLOWED", message: "\(request.method) is not allowed on \(request.path)",
                                              requestID: request.requestID)
            response.headers.add("Allow", "GET, HEAD")
            return response
        }
        return HTTPResponse.json(status: 200, body: document(request).serialized())
    }

    /// `Bearer resource_metadata="…"` for 401s from the MCP endpoint.
    static func challenge(_ request: HTTPRequest) -> String {
        "Bearer resource_metadata=\"\(baseURL(request) + wellKnown + AsyncGateAPI.mcpPath)\""
    }

    /// Where clients reached us. The metadata only describes this server, so trusting `Host` (and a
    /// proxy's `X-Forwarded-Proto`) to spell it is harmless; a malformed Host falls back to localhost.
    static func baseURL(_ request: HTTPRequest) -> String {
        let scheme = request.headers["X-Forwarded-Proto"]?.lowercased() == "https" ? "https" : "http"
        var host = request.headers["Host"] ?? ""
        if host.isEmpty || MCPOriginPolicy.parseAuthority(host.lowercased()) == nil { host = "localhost" }
        return "\(scheme)://\(host)"
    }
}
