import JSON

/// Wire constants of the MCP facade: the protocol revisions we speak, the header and `_meta` names,
/// and the JSON-RPC error codes. Kept in one place so the transport checks, the dispatcher and the
/// tests agree on every spelling.
enum MCPProtocol {
    /// Sessionless revisions: every request carries its version in `_meta` and in the
    /// `MCP-Protocol-Version` header; no `initialize`, no `ping`, no sessions.
    static let modernVersions = ["2026-07-28"]
    /// Handshake revisions (`initialize` → `notifications/initialized` → requests), newest first.
    /// 2025-03-26 is kept because a client that omits the version header is, by the transport spec,
    /// speaking it — and it differs from 2025-06-18 in nothing this server uses.
    static let legacyVersions = ["2025-11-25", "2025-06-18", "2025-03-26"]
    /// Everything we accept, newest first (what `server/discover` and -32022 errors advertise).
    static let supportedVersions = modernVersions + legacyVersions
    /// What a handshake client gets when it asks for a version we do not speak.
    static let latestLegacyVersion = "2025-11-25"
    /// The version a request without `MCP-Protocol-Version` is assumed to use (transport spec).
    static let assumedLegacyVersion = "2025-03-26"

    static func isModern(_ version: String) -> Bool { modernVersions.contains(version) }

    enum Header {
        static let protocolVersion = "MCP-Protocol-Version"
        static let method = "Mcp-Method"
        static let name = "Mcp-Name"
        static let sessionID = "Mcp-Session-Id"
    }

    enum Meta {
        static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
        static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
        static let serverInfo = "io.modelcontextprotocol/serverInfo"
    }

    /// How long clients may cache `tools/list` and `server/discover` (the catalog only changes with
    /// a deploy).
    static let cacheTTLMilliseconds: Int64 = 300_000
}

/// A JSON-RPC error object. Protocol problems (bad envelope, unknown method, bad params, header
/// mismatches) travel as these; engine failures during a tool call do NOT — they are tool results
/// with `isError: true` carrying AsyncGate's stable error code, so a model can read and react.
struct JSONRPCError: Error, Equatable, Sendable {
    var code: Int
    var message: String
    var data: JSON?

    init(_ code: Int, _ message: String, data: JSON? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    static let parseErrorCode = -32700
    static let invalidRequestCode = -32600
    static let methodNotFoundCode = -32601
    static let invalidParamsCode = -32602
    static let internalErrorCode = -32603
    /// MCP 2026-07-28: headers disagree with the body, or a required header is missing.
    static let headerMismatchCode = -32020
    /// MCP 2026-07-28: the requested protocol version is not one we speak.
    static let unsupportedVersionCode = -32022

    static func parseError(_ message: String) -> JSONRPCError { .init(parseErrorCode, message) }
    static func invalidRequest(_ message: String) -> JSONRPCError { .init(invalidRequestCode, message) }
    static func methodNotFound(_ method: String) -> JSONRPCError { .init(methodNotFoundCode, "Method not found: \(method)") }
    static func invalidParams(_ message: String) -> JSONRPCError { .init(invalidParamsCode, message) }
    static func headerMismatch(_ message: String) -> JSONRPCError { .init(headerMismatchCode, "Header mismatch: \(message)") }
    static func unsupportedVersion(_ requested: String) -> JSONRPCError {
        .init(unsupportedVersionCode, "Unsupported protocol version",
              data: ["supported": .array(MCPProtocol.supportedVersions.map { .string($0) }), "requested": .string(requested)])
    }

    var json: JSON {
        var o: [String: JSON] = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { o["data"] = data }
        return .object(o)
    }
}
