import Foundation
import JSON
import Testing
import TestSupport

typealias Response = TestHTTPClient.Response

/// A minimal MCP client over a real socket: enough to speak both eras exactly as SDK clients do
/// (JSON-RPC POSTs, the version/method/name headers, per-request `_meta` for 2026-07-28).
final class MCPClient: @unchecked Sendable {
    enum Era: Equatable, CustomStringConvertible {
        /// Handshake revision (initialize first); the version goes into `MCP-Protocol-Version`.
        case legacy(String)
        /// Sessionless 2026-07-28.
        case modern

        var description: String {
            switch self {
            case .legacy(let v): return "legacy \(v)"
            case .modern: return "modern"
            }
        }
    }

    static let modernVersion = "2026-07-28"

    let http: TestHTTPClient
    let era: Era
    /// Sent with every request (credentials, Origin, …).
    var headers: [String: String]
    private var nextID = 1

    init(_ http: TestHTTPClient, era: Era, headers: [String: String] = [:]) {
        self.http = http
        self.era = era
        self.headers = headers
    }

    /// Legacy: initialize + notifications/initialized. Modern: nothing to do (sessionless).
    func connect(sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard case .legacy(let version) = era else { return }
        let r = try post(["jsonrpc": "2.0", "id": 0, "method": "initialize",
                          "params": ["protocolVersion": .string(version), "capabilities": [:],
                                     "clientInfo": ["name": "mcp-tests", "version": "1"]]],
                         extraHeaders: [:])
        try #require(r.status == 200, "initialize failed: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        let n = try notify("notifications/initialized")
        try #require(n.status == 202, sourceLocation: sourceLocation)
    }

    /// One JSON-RPC request with the headers and `_meta` the era requires.
    func request(_ method: String, _ params: [String: JSON] = [:], headerOverrides: [String: String?] = [:]) throws -> Response {
        var params = params
        var extra: [String: String] = [:]
        switch era {
        case .legacy(let version):
            extra["MCP-Protocol-Version"] = version
        case .modern:
            var meta = params["_meta"]?.objectValue ?? [:]
            meta["io.modelcontextprotocol/protocolVersion"] = .string(Self.modernVersion)
            meta["io.modelcontextprotocol/clientCapabilities"] = .object([:])
            meta["io.modelcontextprotocol/clientInfo"] = ["name": "mcp-tests", "version": "1"]
            params["_meta"] = .object(meta)
            extra["MCP-Protocol-Version"] = Self.modernVersion
            extra["Mcp-Method"] = method
            if method == "tools/call", let name = params["name"]?.stringValue { extra["Mcp-Name"] = name }
        }
        for (k, v) in headerOverrides { extra[k] = v }
        nextID += 1
        return try post(["jsonrpc": "2.0", "id": .int(Int64(nextID)), "method": .string(method), "params": .object(params)],
                        extraHeaders: extra)
    }

    func notify(_ method: String) throws -> Response {
        var extra: [String: String] = [:]
        if case .legacy(let v) = era { extra["MCP-Protocol-Version"] = v } else { extra["MCP-Protocol-Version"] = Self.modernVersion }
        return try post(["jsonrpc": "2.0", "method": .string(method)], extraHeaders: extra)
    }

    func post(_ body: JSON, extraHeaders: [String: String]) throws -> Response {
        var all = headers
        all["Accept"] = "application/json, text/event-stream"
        for (k, v) in extraHeaders { all[k] = v }
        return try http.post("/mcp", body, headers: all)
    }

    // MARK: tools

    struct ToolOutcome {
        var response: Response
        var result: JSON
        var isError: Bool { result["isError"]?.boolValue ?? false }
        var structured: JSON { result["structuredContent"] ?? .null }
        /// The stable AsyncGate code of a failed tool call.
        var errorCode: String? { isError ? structured["error"]?["code"]?.stringValue : nil }
        var errorStatus: Int? { isError ? structured["error"]?["status"]?.intValue : nil }
        /// The text block parsed back (older clients read this instead of structuredContent).
        var textJSON: JSON? {
            guard let text = result["content"]?[0]?["text"]?.stringValue else { return nil }
            return try? JSON.parse(text)
        }
    }

    /// tools/call; expects a JSON-RPC result (a tool result, possibly isError).
    func call(_ tool: String, _ arguments: [String: JSON] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> ToolOutcome {
        let r = try request("tools/call", ["name": .string(tool), "arguments": .object(arguments)])
        try #require(r.status == 200, "tools/call \(tool) → \(r.status) \(r.text)", sourceLocation: sourceLocation)
        let result = try #require(r.json["result"], "tools/call \(tool) returned no result: \(r.text)", sourceLocation: sourceLocation)
        return ToolOutcome(response: r, result: result)
    }

    /// tools/call that must succeed; returns its structured content.
    @discardableResult
    func ok(_ tool: String, _ arguments: [String: JSON] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        let outcome = try call(tool, arguments, sourceLocation: sourceLocation)
        try #require(!outcome.isError, "\(tool) failed: \(outcome.structured)", sourceLocation: sourceLocation)
        return outcome.structured
    }
}
