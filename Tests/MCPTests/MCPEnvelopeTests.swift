@testable import API
import JSON
import Testing

/// The era / header rules of Streamable HTTP, one request at a time.
@Suite struct MCPEnvelopeTests {
    static let modern = "2026-07-28"
    static let meta: JSON = ["io.modelcontextprotocol/protocolVersion": "2026-07-28",
                             "io.modelcontextprotocol/clientCapabilities": [:]]

    static func request(_ method: String, _ params: [String: JSON] = [:]) -> JSONRPCMessage {
        .request(id: 1, method: method, params: params)
    }

    static func modernCall(_ name: String = "asyncgate.get_task", meta: JSON = meta) -> JSONRPCMessage {
        request("tools/call", ["name": .string(name), "arguments": [:], "_meta": meta])
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var message: JSONRPCMessage
        var headers: MCPEnvelope.Headers
        /// nil: accepted as `era`; else the JSON-RPC error code of the 400.
        var rejectCode: Int?
        var era: MCPEnvelope.Era = .legacy
        var version: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // handshake era
        Case(name: "no version header is 2025-03-26", message: request("tools/list"), headers: .init(), version: "2025-03-26"),
        Case(name: "legacy header", message: request("tools/list"), headers: .init(protocolVersion: "2025-06-18"), version: "2025-06-18"),
        Case(name: "initialize without header", message: request("initialize", ["protocolVersion": "2025-11-25"]), headers: .init()),
        Case(name: "unknown header version", message: request("tools/list"), headers: .init(protocolVersion: "1900-01-01"), rejectCode: -32022),
        Case(name: "legacy Mcp-Method mismatch", message: request("tools/list"),
             headers: .init(protocolVersion: "2025-11-25", method: "tools/call"), rejectCode: -32020),
        Case(name: "legacy Mcp-Name mismatch", message: request("tools/call", ["name": "a"]),
             headers: .init(protocolVersion: "2025-11-25", name: "b"), rejectCode: -32020),
        Case(name: "legacy client response accepted", message: .response(id: 1), headers: .init(protocolVersion: "2025-11-25")),
        Case(name: "_meta version without header", message: modernCall(), headers: .init(method: "tools/call", name: "asyncgate.get_task"),
             rejectCode: -32020),
        Case(name: "_meta not an object", message: request("tools/list", ["_meta": 1]), headers: .init(), rejectCode: -32602),
        // sessionless era
        Case(name: "modern tools/call", message: modernCall(),
             headers: .init(protocolVersion: modern, method: "tools/call", name: "asyncgate.get_task"), era: .modern, version: modern),
        Case(name: "modern Mcp-Name in base64 sentinel", message: modernCall("naïve"),
             headers: .init(protocolVersion: modern, method: "tools/call", name: "=?base64?bmHDr3Zl?="), era: .modern),
        Case(name: "modern Mcp-Name not base64", message: modernCall(),
             headers: .init(protocolVersion: modern, method: "tools/call", name: "=?base64?***?="), rejectCode: -32020),
        Case(name: "modern missing _meta", message: request("tools/list"), headers: .init(protocolVersion: modern, method: "tools/list"),
             rejectCode: -32602),
        Case(name: "modern _meta version differs from header", message: modernCall(meta: ["io.modelcontextprotocol/protocolVersion": "2025-11-25",
                                                                                       "io.modelcontextprotocol/clientCapabilities": [:]]),
             headers: .init(protocolVersion: modern, method: "tools/call", name: "asyncgate.get_task"), rejectCode: -32020),
        Case(name: "modern missing clientCapabilities", message: modernCall(meta: ["io.modelcontextprotocol/protocolVersion": "2026-07-28"]),
             headers: .init(protocolVersion: modern, method: "tools/call", name: "asyncgate.get_task"), rejectCode: -32602),
        Case(name: "modern missing Mcp-Method", message: modernCall(),
             headers: .init(protocolVersion: modern, name: "asyncgate.get_task"), rejectCode: -32020),
        Case(name: "modern Mcp-Method mismatch", message: modernCall(),
             headers: .init(protocolVersion: modern, method: "tools/list", name: "asyncgate.get_task"), rejectCode: -32020),
        Case(name: "modern missing Mcp-Name", message: modernCall(), headers: .init(protocolVersion: modern, method: "tools/call"),
             rejectCode: -32020),
        Case(name: "modern Mcp-Name mismatch", message: modernCall(),
             headers: .init(protocolVersion: modern, method: "tools/call", name: "asyncgate.complete"), rejectCode: -32020),
        Case(name: "modern notification needs no _meta", message: .notification(method: "notifications/cancelled", params: [:]),
             headers: .init(protocolVersion: modern), era: .modern),
        Case(name: "modern client response refused", message: .response(id: 1), headers: .init(protocolVersion: modern), rejectCode: -32600),
    ]

    @Test(arguments: cases)
    func check(_ c: Case) {
        let decision = MCPEnvelope.check(c.message, headers: c.headers)
        switch decision {
        case .accept(let accepted):
            #expect(c.rejectCode == nil, "accepted, expected \(c.rejectCode ?? 0)")
            #expect(accepted.era == c.era)
            if let version = c.version { #expect(accepted.version == version) }
        case .reject(let status, let error):
            #expect(status == 400)
            #expect(error.code == c.rejectCode, "\(error.message)")
        }
    }

    @Test func unsupportedVersionListsWhatWeSpeak() {
        guard case .reject(_, let error) = MCPEnvelope.check(Self.request("tools/list"), headers: .init(protocolVersion: "1900-01-01")) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(error.data?["requested"] == "1900-01-01")
        let supported = error.data?["supported"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(supported == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
    }

    @Test(arguments: [("plain", "plain"), ("=?base64?SGVsbG8sIOS4lueVjA==?=", "Hello, 世界"), ("=?base64??=", "")])
    func headerValueDecoding(_ raw: String, _ decoded: String) {
        #expect(MCPEnvelope.decodeHeaderValue(raw) == decoded)
    }
}
