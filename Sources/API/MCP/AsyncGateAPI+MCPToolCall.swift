import Domain
import Engine
import Foundation
import HTTP
import JSON

extension AsyncGateAPI {
    /// Runs one `tools/call` through the tool's REST twin and hands back the `CallToolResult`
    /// (later, for a twin that waits — a long-poll claim). Engine errors become tool results with
    /// `isError: true` whose structured content is the REST error body (same code, plus the HTTP
    /// status REST answers with) — never JSON-RPC errors, so the model sees them and can react.
    func callTool(_ tool: MCPTool, arguments raw: [String: JSON], caller: Caller, request: HTTPRequest,
                  isCancelled: @escaping @Sendable () -> Bool, completion: @escaping @Sendable (JSON) -> Void) {
        let finish: @Sendable (Result<HTTPResponse, Error>) -> Void = { [self] result in
            completion(toolResult(result, tool: tool, caller: caller, request: request))
        }
        do {
            var arguments = tool.normalizedArguments(raw)
            let scoped = try tenantScopedCaller(caller, arguments: &arguments, request: request)
            let (spec, context) = try twin(of: tool, arguments: arguments, caller: scoped, request: request, isCancelled: isCancelled)
            if let deferred = spec.deferredRun {
                try deferred(context, finish)
            } else {
                finish(.success(try spec.run(context)))
            }
        } catch {
            finish(.failure(error))
        }
    }

    func toolResult(_ result: Result<HTTPResponse, Error>, tool: MCPTool, caller: Caller, request: HTTPRequest) -> JSON {
        switch result {
        case .success(let response):
            let body = (try? JSON.parse(response.body)) ?? .object([:])
            return MCPToolResult.make(body, isError: response.status >= 400)
        case .failure(let error as EngineError):
            if error.code == .internal {
                logger.error("internal error", metadata: ["request.id": "\(request.requestID)", "mcp.tool": "\(tool.name)", "error": "\(error)"])
            }
            let status = ErrorMapping.status(for: error.code)
            if status == 401 || status == 403 {
                auditSecurityEvent(request, caller: caller, status: status, code: error.code.rawValue)
            }
            return MCPToolResult.failure(error, requestID: request.requestID)
        case .failure(let error):
            logger.error("unexpected error", metadata: ["request.id": "\(request.requestID)", "mcp.tool": "\(tool.name)", "error": "\(error)"])
            return MCPToolResult.failure(EngineError(.internal, "internal error (request id \(request.requestID))"), requestID: request.requestID)
        }
    }

    /// The first implementation's clients name their tenant in the arguments. The tenant still comes
    /// from the credential: a `tenant_id` that differs is refused — except in insecure development
    /// mode without a tenant header, where it is honoured exactly as `X-Tenant-ID` would be (through
    /// the one authentication path).
    func tenantScopedCaller(_ caller: Caller, arguments: inout [String: JSON], request: HTTPRequest) throws -> Caller {
        guard let value = arguments.removeValue(forKey: "tenant_id"), !value.isNull else { return caller }
        guard let raw = value.stringValue, let tenant = UUID(uuidString: raw) else {
            throw EngineError(.invalidTenant, "tenant_id must be a UUID")
        }
        if tenant == caller.tenantID { return caller }
        if case .insecureDevelopment = configuration.authentication, Self.presentedKey(request) == nil,
           request.headers["X-Tenant-ID"] == nil {
            var scoped = request
            scoped.headers.add("X-Tenant-ID", tenant.uuidString.lowercased())
            return try authenticate(scoped)
        }
        throw EngineError(.forbidden, "tenant_id does not match the tenant of your credential")
    }

    /// The twin's route (from the REST router) and its input, shaped as a REST client would send it:
    /// path captures, then the remaining arguments as the query string (GET) or the JSON body (POST).
    func twin(of tool: MCPTool, arguments: [String: JSON], caller: Caller, request: HTTPRequest,
              isCancelled: @escaping @Sendable () -> Bool) throws -> (RouteSpec, RouteContext) {
        // Matching the template itself: `{task_id}` fills the capture, literals match literals.
        guard case .found(let spec, _) = router.match(method: tool.method, path: tool.path) else {
            throw EngineError(.internal, "MCP tool \(tool.name) has no REST twin \(tool.method) \(tool.path)")
        }
        var params: [String: String] = [:]
        for name in tool.pathParameters {
            guard let value = arguments[name], !value.isNull else { continue }
            params[name] = value.stringValue ?? String(decoding: value.serialized(), as: UTF8.self)
        }
        // The target keeps the MCP path (routes read captures from `params`, never from the path).
        let input: HTTPRequest
        if tool.method == "GET" {
            let query = try MCPQuery.encode(arguments)
            input = HTTPRequest(method: "GET", target: query.isEmpty ? Self.mcpPath : Self.mcpPath + "?" + query, headers: request.headers,
                                remoteAddress: request.remoteAddress, requestID: request.requestID)
        } else {
            input = HTTPRequest(method: tool.method, target: Self.mcpPath, headers: request.headers, body: JSON.object(arguments).serialized(),
                                remoteAddress: request.remoteAddress, requestID: request.requestID)
        }
        let context = RouteContext(request: input, input: try RequestInput(input, expectsBody: spec.expectsBody), caller: caller,
                                   params: params, engine: engine, executor: { [workers] work in workers.submit(work) },
                                   isCancelled: isCancelled)
        return (spec, context)
    }
}

extension MCPTool {
    /// Drops what the first implementation sent in the arguments but we take from headers
    /// (`auth_token`: credentials never travel through the model) or ignore (`trace_id`), then maps
    /// its argument spellings to ours.
    func normalizedArguments(_ raw: [String: JSON]) -> [String: JSON] {
        var args = raw
        args.removeValue(forKey: "auth_token")
        args.removeValue(forKey: "trace_id")
        for (alias, ours) in aliases.sorted(by: { $0.key < $1.key }) {
            guard let value = args.removeValue(forKey: alias) else { continue }
            if args[ours] == nil { args[ours] = value }
        }
        completeArguments?(&args)
        return args
    }
}

/// Arguments of GET twins as a query string. Scalars only — a REST client cannot put a list or an
/// object in a query parameter either, so those get the error REST gives a malformed parameter.
enum MCPQuery {
    static func encode(_ arguments: [String: JSON]) throws -> String {
        var pairs: [String] = []
        for key in arguments.keys.sorted() {
            guard let text = try scalarText(key, arguments[key]!) else { continue }
            pairs.append(escape(key) + "=" + escape(text))
        }
        return pairs.joined(separator: "&")
    }

    static func scalarText(_ name: String, _ value: JSON) throws -> String? {
        switch value {
        case .null: return nil
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return Int64(exactly: d).map { String($0) } ?? String(d)
        case .bool(let b): return b ? "true" : "false"
        case .array, .object:
            throw EngineError(.invalidParameter, "\(name) must be a string or a number, got \(value.typeName)")
        }
    }

    /// Percent-encodes every byte outside RFC 3986's unreserved set.
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

/// `CallToolResult` builders: the JSON as structured content and, for clients that predate
/// structured content, the same JSON as one text block.
enum MCPToolResult {
    static func make(_ body: JSON, isError: Bool) -> JSON {
        [
            "content": [["type": "text", "text": .string(String(decoding: body.serialized(), as: UTF8.self))]],
            "structuredContent": body,
            "isError": .bool(isError),
        ]
    }

    /// The REST error body for `error` (via THE code → status map), with that status added.
    static func failure(_ error: EngineError, requestID: String) -> JSON {
        let response = ErrorMapping.response(error, requestID: requestID)
        guard case .object(var body)? = try? JSON.parse(response.body), case .object(var detail)? = body["error"] else {
            return make(["error": ["code": .string(error.code.rawValue), "message": .string(error.message)]], isError: true)
        }
        detail["status"] = .int(Int64(response.status))
        body["error"] = .object(detail)
        return make(.object(body), isError: true)
    }
}
