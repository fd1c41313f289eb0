import JSON
import Testing
import TestSupport

/// Lifecycle and discovery in both eras: initialize/negotiation, ping, server/discover, tools/list.
@Suite struct HandshakeTests {
    let fixture: ServerFixture

    init() throws { fixture = try ServerFixture() }

    static let expectedTools = [
        "asyncgate.bootstrap", "asyncgate.create_task", "asyncgate.get_task", "asyncgate.list_tasks", "asyncgate.cancel_task",
        "asyncgate.list_receipts", "asyncgate.list_receipts_ledger", "asyncgate.get_receipt", "asyncgate.ack_receipt",
        "asyncgate.list_open_obligations", "asyncgate.lease_next", "asyncgate.renew_lease", "asyncgate.start_task",
        "asyncgate.report_progress", "asyncgate.complete", "asyncgate.fail", "asyncgate.get_config", "asyncgate.health",
    ]

    func initialize(_ version: String) throws -> Response {
        try fixture.client().post("/mcp", ["jsonrpc": "2.0", "id": 1, "method": "initialize",
                                           "params": ["protocolVersion": .string(version), "capabilities": [:],
                                                      "clientInfo": ["name": "t", "version": "1"]]],
                                  headers: ["Accept": "application/json, text/event-stream"])
    }

    @Test(arguments: [("2025-11-25", "2025-11-25"), ("2025-06-18", "2025-06-18"), ("2025-03-26", "2025-03-26"),
                      ("2024-11-05", "2025-11-25"), ("2026-07-28", "2025-11-25")])
    func initializeNegotiates(_ requested: String, _ agreed: String) throws {
        let r = try initialize(requested)
        #expect(r.status == 200)
        let result = try #require(r.json["result"])
        #expect(result["protocolVersion"] == .string(agreed))
        #expect(result["serverInfo"]?["name"] == "asyncgate")
        #expect(result["capabilities"]?["tools"] != nil)
        #expect(result["instructions"]?.stringValue?.contains("asyncgate.lease_next") == true)
        #expect(r.header("Mcp-Session-Id")?.isEmpty == false)
    }

    @Test func initializeWithoutVersionIsInvalidParams() throws {
        let r = try fixture.client().post("/mcp", ["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": [:]])
        #expect(r.json["error"]?["code"] == .int(-32602))
    }

    @Test func legacySessionPingAndToolsList() throws {
        let client = MCPClient(fixture.client(), era: .legacy("2025-11-25"))
        try client.connect()
        let ping = try client.request("ping")
        #expect(ping.json["result"] == .object([:]))
        let list = try client.request("tools/list")
        let result = try #require(list.json["result"])
        #expect(result["resultType"] == nil, "handshake-era results carry no resultType")
        let tools = try #require(result["tools"]?.arrayValue)
        #expect(tools.compactMap { $0["name"]?.stringValue } == Self.expectedTools)
        for tool in tools {
            let name = tool["name"]?.stringValue ?? "?"
            #expect(tool["inputSchema"]?["type"] == "object", "\(name)")
            #expect(tool["inputSchema"]?["properties"]?.objectValue != nil, "\(name)")
            #expect(tool["description"]?.stringValue?.isEmpty == false, "\(name)")
        }
        let create = try #require(tools.first { $0["name"] == "asyncgate.create_task" })
        #expect(create["inputSchema"]?["required"] == ["type"])
        #expect(create["annotations"]?["readOnlyHint"] == false)
    }

    @Test func sessionlessDiscoverAndToolsList() throws {
        let client = MCPClient(fixture.client(), era: .modern)
        let discover = try client.request("server/discover")
        #expect(discover.status == 200)
        let d = try #require(discover.json["result"])
        #expect(d["supportedVersions"] == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
        #expect(d["resultType"] == "complete")
        #expect(d["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "asyncgate")
        #expect(d["capabilities"]?["tools"] != nil)
        #expect(d["ttlMs"]?.intValue ?? -1 >= 0)
        #expect(discover.header("Mcp-Session-Id") == nil, "sessionless: no session ids")

        let list = try client.request("tools/list")
        let result = try #require(list.json["result"])
        #expect(result["resultType"] == "complete")
        #expect(result["cacheScope"] == "public")
        #expect(result["tools"]?.arrayValue?.count == Self.expectedTools.count)
    }

    @Test func handshakeOnlyMethodsDoNotExistSessionless() throws {
        let client = MCPClient(fixture.client(), era: .modern)
        for method in ["ping", "initialize"] {
            let r = try client.request(method, ["protocolVersion": "2025-11-25"])
            #expect(r.status == 404, "\(method)")
            #expect(r.json["error"]?["code"] == .int(-32601), "\(method)")
        }
    }
}
