import JSON
import Testing
import TestSupport

/// Streamable HTTP behaviour of /mcp over a real socket: methods, Origin, envelopes, statuses.
@Suite struct TransportTests {
    let fixture: ServerFixture
    let http: TestHTTPClient

    init() throws {
        fixture = try ServerFixture()
        http = fixture.client()
    }

    static let accept = ["Accept": "application/json, text/event-stream"]

    func post(_ text: String, headers: [String: String] = [:]) throws -> Response {
        try http.postRaw("/mcp", Array(text.utf8), headers: Self.accept.merging(headers) { _, new in new })
    }

    @Test func getAndDeleteAreNotAllowed() throws {
        for method in ["GET", "DELETE"] {
            let r = try http.send(method, "/mcp", body: nil, headers: ["Accept": "text/event-stream"])
            #expect(r.status == 405, "\(method)")
            #expect(r.header("Allow") == "POST")
        }
    }

    @Test func foreignOriginIsForbiddenLocalOriginServed() throws {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
        let evil = try post(body, headers: ["Origin": "https://evil.example"])
        #expect(evil.status == 403)
        #expect(evil.json["error"]?["code"] == .int(-32600))
        #expect(evil.json["id"] == nil)
        let local = try post(body, headers: ["Origin": "http://localhost:6274"])
        #expect(local.status == 200)
        let same = try post(body, headers: ["Origin": "http://127.0.0.1:\(fixture.port)"])
        #expect(same.status == 200)
    }

    @Test func malformedMessagesAre400WithJSONRPCErrors() throws {
        let parse = try post(#"{"jsonrpc":"2.0","id":1,"#)
        #expect(parse.status == 400)
        #expect(parse.json["error"]?["code"] == .int(-32700))
        let batch = try post(#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#)
        #expect(batch.status == 400)
        #expect(batch.json["error"]?["code"] == .int(-32600))
        let noMethod = try post(#"{"jsonrpc":"2.0","id":"x"}"#)
        #expect(noMethod.status == 400)
        #expect(noMethod.json["id"] == "x")
    }

    @Test func notificationsAndClientResponsesAre202WithoutBody() throws {
        let n = try post(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        #expect(n.status == 202)
        #expect(n.body.isEmpty)
        let cancelled = try post(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#)
        #expect(cancelled.status == 202)
        let response = try post(#"{"jsonrpc":"2.0","id":5,"result":{}}"#, headers: ["MCP-Protocol-Version": "2025-11-25"])
        #expect(response.status == 202)
    }

    @Test func unknownMethodIs200InHandshakeEraAnd404WhenSessionless() throws {
        let legacy = try post(#"{"jsonrpc":"2.0","id":1,"method":"resources/list"}"#, headers: ["MCP-Protocol-Version": "2025-11-25"])
        #expect(legacy.status == 200)
        #expect(legacy.json["error"]?["code"] == .int(-32601))
        let modern = MCPClient(http, era: .modern)
        let r = try modern.request("resources/list")
        #expect(r.status == 404)
        #expect(r.json["error"]?["code"] == .int(-32601))
    }

    @Test func versionAndHeaderProblemsAre400() throws {
        let unknown = try post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, headers: ["MCP-Protocol-Version": "2030-01-01"])
        #expect(unknown.status == 400)
        #expect(unknown.json["error"]?["code"] == .int(-32022))
        #expect(unknown.json["error"]?["data"]?["requested"] == "2030-01-01")

        let modern = MCPClient(http, era: .modern)
        let mismatch = try modern.request("tools/call", ["name": "asyncgate.get_config", "arguments": [:]],
                                          headerOverrides: ["Mcp-Name": "asyncgate.health"])
        #expect(mismatch.status == 400)
        #expect(mismatch.json["error"]?["code"] == .int(-32020))
        let noMethodHeader = try modern.request("tools/list", headerOverrides: ["Mcp-Method": nil])
        #expect(noMethodHeader.status == 400)
        #expect(noMethodHeader.json["error"]?["code"] == .int(-32020))
    }

    @Test func refusesClientsThatCannotReadJSON() throws {
        let r = try post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, headers: ["Accept": "text/html"])
        #expect(r.status == 406)
    }

    @Test func protectedResourceMetadataIsPublic() throws {
        for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
            let r = try http.get(path)
            #expect(r.status == 200, "\(path)")
            #expect(r.json["resource"] == .string("http://127.0.0.1:\(fixture.port)/mcp"))
            #expect(r.json["bearer_methods_supported"] == ["header"])
        }
    }

    @Test func restRoutesAreUntouched() throws {
        #expect(try http.get("/v1/health").status == 200)
        #expect(try http.get("/mcpx").status == 404)
    }
}
