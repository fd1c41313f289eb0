import JSON

/// One MCP tool and its REST twin. A tool has no handler of its own: it names a REST route
/// (method and path template), which is looked up in the one REST router at call time; the call's
/// arguments become that route's input exactly as a REST client would send them (path captures,
/// then the query string for GET or the JSON body for POST). Parsing, validation, authorization, the
/// engine operation, the receipts, the response shape and the error codes are therefore the REST
/// ones by construction.
struct MCPTool: Sendable {
    var name: String
    var title: String
    var description: String
    var inputSchema: JSON
    var readOnly: Bool
    var destructive: Bool = false
    /// The REST twin, e.g. `POST /v1/tasks/{task_id}/complete`.
    var method: String
    var path: String
    /// Argument spellings of the first (Python) AsyncGate MCP server, mapped to ours. Applied only
    /// when our spelling is absent, so a client sending both gets ours.
    var aliases: [String: String] = [:]
    /// Fills in arguments the first implementation implied (after aliasing), e.g. bootstrap's
    /// `agent_id` meaning an `agent` principal.
    var completeArguments: (@Sendable (inout [String: JSON]) -> Void)?

    /// The `{name}` captures of `path`, filled from the arguments of the same name.
    var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
    }

    /// The `Tool` object of `tools/list`.
    var listing: JSON {
        [
            "name": .string(name), "title": .string(title), "description": .string(description),
            "inputSchema": inputSchema,
            "annotations": [
                "title": .string(title), "readOnlyHint": .bool(readOnly), "destructiveHint": .bool(destructive),
                "openWorldHint": false,
            ],
        ]
    }
}
