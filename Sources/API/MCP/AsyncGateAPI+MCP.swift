import Domain
import Engine
import HTTP
import JSON
import RateLimit

/// The MCP facade's HTTP entry: Streamable HTTP on `/mcp` (JSON responses only — nothing we do
/// streams), plus the OAuth protected-resource metadata that a 401 points to.
extension AsyncGateAPI {
    static let mcpPath = "/mcp"

    /// Serves MCP paths and returns true; returns false for every other path (the REST router's).
    /// `respond` is the API's (security and CORS headers); `responder` tells when the client left.
    func handleMCP(_ request: HTTPRequest, _ responder: HTTPResponder, _ respond: @escaping @Sendable (HTTPResponse) -> Void) -> Bool {
        if MCPProtectedResource.paths.contains(request.path) {
            respond(MCPProtectedResource.response(request))
            return true
        }
        guard request.path == Self.mcpPath || request.path == Self.mcpPath + "/" else { return false }
        if let refusal = mcpTransportRefusal(request) {
            respond(refusal)
            return true
        }
        let accepted = workers.submit { [self] in
            self.serveMCP(request, isCancelled: { !responder.isConnectionOpen }, respond: respond)
        }
        if !accepted {
            respond(ErrorMapping.response(EngineError(.unavailable, "server is at capacity, retry shortly"), requestID: request.requestID))
        }
        return true
    }

    /// Checks that need neither a credential nor a worker thread.
    func mcpTransportRefusal(_ request: HTTPRequest) -> HTTPResponse? {
        let policy = MCPOriginPolicy(allowedOrigins: configuration.corsAllowedOrigins)
        guard policy.allows(origin: request.headers["Origin"], host: request.headers["Host"]) else {
            auditSecurityEvent(request, caller: nil, status: 403, code: "ORIGIN_NOT_ALLOWED")
            return Self.jsonRPC(JSONRPCReply.error(id: nil, .init(JSONRPCError.invalidRequestCode, "Origin not allowed")), status: 403)
        }
        guard request.method == "POST" else {
            // No standalone SSE stream (GET) and no client-terminated sessions (DELETE): both are
            // optional in the handshake revisions and gone in 2026-07-28, where 405 is the answer.
            var response = ErrorMapping.response(EngineError(.methodNotAllowed, "\(request.method) is not allowed on \(Self.mcpPath); POST JSON-RPC messages"),
                                                 requestID: request.requestID)
            response.headers.add("Allow", "POST")
            return response
        }
        if let accept = request.headers["Accept"], !Self.acceptsJSON(accept) {
            return Self.jsonRPC(JSONRPCReply.error(id: nil, .invalidRequest("Not Acceptable: this endpoint answers with application/json")), status: 406)
        }
        if let type = request.headers["Content-Type"],
           type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() != "application/json" {
            return Self.jsonRPC(JSONRPCReply.error(id: nil, .invalidRequest("Unsupported Media Type: send application/json")), status: 415)
        }
        return nil
    }

    static func acceptsJSON(_ accept: String) -> Bool {
        accept.split(separator: ",").contains { item in
            let type = item.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return type == "application/json" || type == "application/*" || type == "*/*"
        }
    }

    /// One POST: authenticate and rate-limit exactly as REST does, then decode, check the envelope
    /// and dispatch.
    func serveMCP(_ request: HTTPRequest, isCancelled: @escaping @Sendable () -> Bool, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let caller: Caller
        do {
            caller = try authenticate(request)
        } catch {
            // As for REST: failed authentication counts against the client's address.
            if let limiter = configuration.rateLimiter {
                let d = limiter.check(key: Self.rateLimitKey(request, caller: nil))
                if !d.allowed { return respondLimited(request, d, caller: nil, respond: respond) }
            }
            return respond(mcpAuthenticationFailure(error, request))
        }
        var decision: RateLimitDecision?
        if let limiter = configuration.rateLimiter {
            let d = limiter.check(key: Self.rateLimitKey(request, caller: caller))
            if !d.allowed { return respondLimited(request, d, caller: caller, respond: respond) }
            decision = d
        }
        answerMCP(request, caller: caller, isCancelled: isCancelled) { [decision] response in
            var response = response
            if let decision { Self.addRateLimitHeaders(&response, decision) }
            respond(response)
        }
    }

    /// The REST error response, with a 401's challenge pointing to the protected-resource metadata.
    func mcpAuthenticationFailure(_ error: Error, _ request: HTTPRequest) -> HTTPResponse {
        guard let error = error as? EngineError else {
            logger.error("unexpected error", metadata: ["request.id": "\(request.requestID)", "request.path": "\(request.path)", "error": "\(error)"])
            return ErrorMapping.response(EngineError(.internal, "internal error (request id \(request.requestID))"), requestID: request.requestID)
        }
        var response = ErrorMapping.response(error, requestID: request.requestID)
        if response.status == 401 {
            response.headers.replaceOrAdd("WWW-Authenticate", MCPProtectedResource.challenge(request))
        }
        if response.status == 401 || response.status == 403 {
            auditSecurityEvent(request, caller: nil, status: response.status, code: error.code.rawValue)
        }
        return response
    }

    func answerMCP(_ request: HTTPRequest, caller: Caller, isCancelled: @escaping @Sendable () -> Bool,
                   done: @escaping @Sendable (HTTPResponse) -> Void) {
        let message: JSONRPCMessage
        switch JSONRPCMessage.decode(request.body) {
        case .success(let decoded): message = decoded
        case .failure(let failure): return done(Self.jsonRPC(JSONRPCReply.error(id: failure.id, failure.error), status: 400))
        }
        let headers = MCPEnvelope.Headers(protocolVersion: request.headers[MCPProtocol.Header.protocolVersion],
                                          method: request.headers[MCPProtocol.Header.method],
                                          name: request.headers[MCPProtocol.Header.name])
        switch MCPEnvelope.check(message, headers: headers) {
        case .reject(let status, let error):
            done(Self.jsonRPC(JSONRPCReply.error(id: message.id, error), status: status))
        case .accept(let accepted):
            dispatchMCP(message, accepted, caller: caller, request: request, isCancelled: isCancelled, done: done)
        }
    }

    static func jsonRPC(_ body: JSON, status: Int = 200, headers: HTTPHeaders = .init()) -> HTTPResponse {
        HTTPResponse.json(status: status, body: body.serialized(), headers: headers)
    }
}
