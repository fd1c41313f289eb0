import Foundation
import JSON

/// The Streamable HTTP rules that decide, for one POSTed message, which protocol era it belongs to
/// and whether its headers agree with its body. Pure — headers and message in, decision out — so
/// every rule is tested one input at a time.
///
/// Era selection (a dual-era server, MCP 2026-07-28 "Versioning"):
/// - `MCP-Protocol-Version` names a sessionless revision → modern: `_meta` must carry the same
///   version and the client capabilities, `Mcp-Method` (and `Mcp-Name` for named calls) must be
///   present and match the body.
/// - it names a handshake revision, or is absent → legacy (absent means 2025-03-26, or whatever an
///   `initialize` negotiates).
/// - it names anything else → 400 with -32022 and the list we speak.
/// Whenever a mirror header IS present it must match the body, in either era: an intermediary may
/// have routed on it.
enum MCPEnvelope {
    struct Headers: Equatable {
        var protocolVersion: String?
        var method: String?
        var name: String?

        init(protocolVersion: String? = nil, method: String? = nil, name: String? = nil) {
            self.protocolVersion = protocolVersion
            self.method = method
            self.name = name
        }
    }

    enum Era: Equatable, Sendable { case legacy, modern }

    struct Accepted: Equatable {
        var era: Era
        /// The version this message is served under (for legacy `initialize`, the header's or the
        /// assumed one; the dispatcher negotiates from the params).
        var version: String
    }

    enum Decision: Equatable {
        case accept(Accepted)
        case reject(status: Int, JSONRPCError)
    }

    static func check(_ message: JSONRPCMessage, headers: Headers) -> Decision {
        let meta: [String: JSON]?
        switch message.params["_meta"] {
        case .none, .some(.null): meta = nil
        case .some(.object(let m)): meta = m
        case .some(let other): return .reject(status: 400, .invalidParams("_meta must be an object, got \(other.typeName)"))
        }
        let metaVersion = meta?[MCPProtocol.Meta.protocolVersion]?.stringValue

        if let method = headers.method, let bodyMethod = message.method, method != bodyMethod {
            return .reject(status: 400, .headerMismatch("Mcp-Method header value '\(method)' does not match body value '\(bodyMethod)'"))
        }
        if let failure = checkName(message, header: headers.name, required: false) { return failure }

        guard let version = headers.protocolVersion else {
            if metaVersion != nil {
                return .reject(status: 400, .headerMismatch("the MCP-Protocol-Version header is required"))
            }
            return .accept(Accepted(era: .legacy, version: MCPProtocol.assumedLegacyVersion))
        }
        guard MCPProtocol.supportedVersions.contains(version) else {
            return .reject(status: 400, .unsupportedVersion(version))
        }
        if let metaVersion, metaVersion != version {
            return .reject(status: 400, .headerMismatch("MCP-Protocol-Version header value '\(version)' does not match _meta value '\(metaVersion)'"))
        }
        guard MCPProtocol.isModern(version) else {
            return .accept(Accepted(era: .legacy, version: version))
        }
        return checkModern(message, meta: meta, version: version, headers: headers)
    }

    private static func checkModern(_ message: JSONRPCMessage, meta: [String: JSON]?, version: String, headers: Headers) -> Decision {
        switch message {
        case .response:
            return .reject(status: 400, .invalidRequest("clients must not send JSON-RPC responses in \(version)"))
        case .notification:
            // The revision defines no header rules for notification POSTs; the version was checked.
            return .accept(Accepted(era: .modern, version: version))
        case .request:
            break
        }
        guard let meta, meta[MCPProtocol.Meta.protocolVersion] != nil else {
            return .reject(status: 400, .invalidParams("params._meta must carry \(MCPProtocol.Meta.protocolVersion)"))
        }
        guard case .object = meta[MCPProtocol.Meta.clientCapabilities] else {
            return .reject(status: 400, .invalidParams("params._meta must carry \(MCPProtocol.Meta.clientCapabilities) (an object)"))
        }
        guard headers.method != nil else {
            return .reject(status: 400, .headerMismatch("the Mcp-Method header is required"))
        }
        if let failure = checkName(message, header: headers.name, required: true) { return failure }
        return .accept(Accepted(era: .modern, version: version))
    }

    /// `Mcp-Name` mirrors `params.name` (tools/call, prompts/get) or `params.uri` (resources/read).
    private static func checkName(_ message: JSONRPCMessage, header: String?, required: Bool) -> Decision? {
        let source: String
        switch message.method {
        case "tools/call", "prompts/get": source = "name"
        case "resources/read": source = "uri"
        default: return nil
        }
        guard let header else {
            return required ? .reject(status: 400, .headerMismatch("the Mcp-Name header is required for \(message.method ?? "")")) : nil
        }
        guard let decoded = decodeHeaderValue(header) else {
            return .reject(status: 400, .headerMismatch("Mcp-Name header value is not valid base64"))
        }
        let body = message.params[source]?.stringValue
        guard decoded == body else {
            return .reject(status: 400, .headerMismatch("Mcp-Name header value '\(decoded)' does not match body value '\(body ?? "")'"))
        }
        return nil
    }

    /// Undoes the `=?base64?…?=` sentinel encoding clients use for values that are not plain ASCII.
    static func decodeHeaderValue(_ value: String) -> String? {
        let prefix = "=?base64?", suffix = "?="
        guard value.hasPrefix(prefix), value.hasSuffix(suffix), value.count >= prefix.count + suffix.count else { return value }
        let encoded = String(value.dropFirst(prefix.count).dropLast(suffix.count))
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8) else { return nil }
        return text
    }
}
