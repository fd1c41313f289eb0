import Domain
import Engine
import Foundation
import HTTP
import JSON

/// The MCP methods we serve. Handshake era: `initialize`, `ping`, `tools/list`, `tools/call` (and
/// `server/discover`, harmless to answer). Sessionless era: `server/discover`, `tools/list`,
/// `tools/call` — `initialize` and `ping` no longer exist there.
extension AsyncGateAPI {
    /// Answers one accepted message through `done` — at once, except for a tool whose REST twin
    /// waits (a long-poll claim).
    func dispatchMCP(_ message: JSONRPCMessage, _ envelope: MCPEnvelope.Accepted, caller: Caller, request: HTTPRequest,
                     isCancelled: @escaping @Sendable () -> Bool, done: @escaping @Sendable (HTTPResponse) -> Void) {
        // Notifications (notifications/initialized, notifications/cancelled, …) and answers to
        // server requests (we send none) need nothing from us.
        guard case .request(let id, let method, let params) = message else { return done(HTTPResponse(status: 202)) }
        let modern = envelope.era == .modern
        let reply: @Sendable (JSON, HTTPHeaders) -> Void = { [self] result, headers in
            var result = result
            if modern, case .object(var fields) = result {
                fields["resultType"] = "complete"
                fields["_meta"] = [MCPProtocol.Meta.serverInfo: serverInfo]
                result = .object(fields)
            }
            done(Self.jsonRPC(JSONRPCReply.result(id: id, result), headers: headers))
        }
        do {
            switch method {
            case "initialize" where !modern:
                // Sessions are optional and we keep no per-session state: the id only lets clients
                // that expect one correlate their requests. Any id (or none) is accepted later.
                reply(try initializeResult(params), [MCPProtocol.Header.sessionID: UUID().uuidString.lowercased()])
            case "ping" where !modern:
                reply(.object([:]), .init())
            case "server/discover":
                reply(discoverResult(), .init())
            case "tools/list":
                reply(toolsListResult(modern: modern), .init())
            case "tools/call":
                let (tool, arguments) = try toolCall(params)
                callTool(tool, arguments: arguments, caller: caller, request: request, isCancelled: isCancelled) { reply($0, .init()) }
            default:
                throw JSONRPCError.methodNotFound(method)
            }
        } catch let error as JSONRPCError {
            // 2026-07-28 answers an unknown method with 404; a handshake client would read a 404 as
            // "session terminated", so it gets the error in a 200.
            let status = modern && error.code == JSONRPCError.methodNotFoundCode ? 404 : 200
            done(Self.jsonRPC(JSONRPCReply.error(id: id, error), status: status))
        } catch {
            logger.error("unexpected error", metadata: ["request.id": "\(request.requestID)", "mcp.method": "\(method)", "error": "\(error)"])
            done(Self.jsonRPC(JSONRPCReply.error(id: id, .init(JSONRPCError.internalErrorCode, "Internal error (request id \(request.requestID))")),
                              status: 500))
        }
    }

    var serverInfo: JSON {
        ["name": "asyncgate", "title": "AsyncGate", "version": .string(engine.configuration.version)]
    }

    static let mcpCapabilities: JSON = ["tools": ["listChanged": false]]

    static let mcpInstructions = """
        AsyncGate is a durable task queue with an auditable receipt ledger. As a tasker (agent): \
        asyncgate.create_task delegates work and gives you an obligation; asyncgate.bootstrap lists the \
        obligations you still await; asyncgate.get_task reads status and results. As a worker: \
        asyncgate.lease_next claims tasks (keep the lease_id), then asyncgate.start_task, \
        asyncgate.report_progress and asyncgate.renew_lease while working, and finally asyncgate.complete \
        (with artifacts saying where the output is) or asyncgate.fail. Failures come back as tool results \
        with isError and a stable error.code (e.g. LEASE_INVALID_OR_EXPIRED, TASK_NOT_FOUND).
        """

    /// Handshake-era version negotiation: the client's version when we speak it, else our newest
    /// handshake version (the client then decides whether it can continue).
    func initializeResult(_ params: [String: JSON]) throws -> JSON {
        guard let requested = params["protocolVersion"]?.stringValue else {
            throw JSONRPCError.invalidParams("initialize requires params.protocolVersion (a string)")
        }
        let version = MCPProtocol.legacyVersions.contains(requested) ? requested : MCPProtocol.latestLegacyVersion
        return [
            "protocolVersion": .string(version), "capabilities": Self.mcpCapabilities,
            "serverInfo": serverInfo, "instructions": .string(Self.mcpInstructions),
        ]
    }

    func discoverResult() -> JSON {
        [
            "supportedVersions": .array(MCPProtocol.supportedVersions.map { .string($0) }),
            "capabilities": Self.mcpCapabilities, "serverInfo": serverInfo,
            "instructions": .string(Self.mcpInstructions),
            "ttlMs": .int(MCPProtocol.cacheTTLMilliseconds), "cacheScope": "public",
        ]
    }

    func toolsListResult(modern: Bool) -> JSON {
        var result: [String: JSON] = ["tools": .array(MCPTool.catalog.map(\.listing))]
        if modern {
            // The catalog is the same for every caller, so shared caches may keep it.
            result["ttlMs"] = .int(MCPProtocol.cacheTTLMilliseconds)
            result["cacheScope"] = "public"
        }
        return .object(result)
    }

    /// The tool and arguments of a `tools/call`; protocol-level problems are JSON-RPC errors.
    func toolCall(_ params: [String: JSON]) throws -> (MCPTool, [String: JSON]) {
        guard let name = params["name"]?.stringValue else {
            throw JSONRPCError.invalidParams("tools/call requires params.name (a string)")
        }
        guard let tool = MCPTool.named(name) else { throw JSONRPCError.invalidParams("Unknown tool: \(name)") }
        switch params["arguments"] {
        case .none, .some(.null): return (tool, [:])
        case .some(.object(let arguments)): return (tool, arguments)
        case .some(let other): throw JSONRPCError.invalidParams("tools/call arguments must be an object, got \(other.typeName)")
        }
    }
}
