@testable import API
import Engine
import Foundation
import JSON
import Testing

/// The tool table itself: names MCP clients accept, schemas consistent with what the REST twin
/// reads, and the argument shaping a call goes through before reaching the twin.
@Suite struct MCPToolCatalogTests {
    @Test(arguments: MCPTool.catalog.map(\.name))
    func toolIsWellFormed(_ name: String) throws {
        let tool = try #require(MCPTool.named(name))
        // MCP tool names: 1–128 of [A-Za-z0-9_.-].
        #expect((1...128).contains(name.count))
        #expect(name.unicodeScalars.allSatisfy { CharacterSet.toolName.contains($0) })
        let properties = try #require(tool.inputSchema["properties"]?.objectValue)
        for required in tool.inputSchema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            #expect(properties[required] != nil, "required \(required) is not a property")
        }
        for path in tool.pathParameters {
            #expect(properties[path] != nil, "path parameter \(path) is not a property")
            #expect(tool.inputSchema["required"]?.arrayValue?.contains(.string(path)) == true, "\(path) must be required")
        }
        #expect(tool.listing["annotations"]?["readOnlyHint"] == .bool(tool.readOnly))
    }

    /// Each tool's twin is a route of the REST router (the same lookup a call makes).
    @Test(arguments: MCPTool.catalog.map(\.name))
    func toolHasARESTTwin(_ name: String) throws {
        let tool = try #require(MCPTool.named(name))
        guard case .found = AsyncGateAPI.makeRouter().match(method: tool.method, path: tool.path) else {
            Issue.record("\(tool.method) \(tool.path) is not a REST route")
            return
        }
    }

    @Test func namesAreUniqueAndBareNamesResolve() {
        #expect(Set(MCPTool.catalog.map(\.name)).count == MCPTool.catalog.count)
        #expect(MCPTool.named("create_task")?.name == "asyncgate.create_task")
        #expect(MCPTool.named("asyncgate.create_task")?.name == "asyncgate.create_task")
        #expect(MCPTool.named("drop_tables") == nil)
    }

    @Test func firstImplementationSpellingsAreMapped() throws {
        let boot = try #require(MCPTool.named("asyncgate.bootstrap"))
        let args = boot.normalizedArguments(["agent_id": "bob", "agent_instance_id": "s1", "max_items": 5,
                                             "auth_token": "secret", "trace_id": "t"])
        #expect(args == ["principal_id": "bob", "principal_kind": "agent", "principal_instance_id": "s1", "limit": 5])
        // Our spelling wins when both are sent; the alias is dropped.
        let create = try #require(MCPTool.named("asyncgate.create_task"))
        #expect(create.normalizedArguments(["agent_id": "bob", "principal_id": "alice", "type": "t"])
                == ["principal_id": "alice", "type": "t"])
        // Only bootstrap implies the agent kind.
        #expect(try #require(MCPTool.named("asyncgate.list_open_obligations")).normalizedArguments(["principal_id": "x"])
                == ["principal_id": "x"])
    }

    @Test func queryEncodingMatchesWhatRESTClientsSend() throws {
        #expect(try MCPQuery.encode(["limit": 10, "status": "queued", "cursor": .null]) == "limit=10&status=queued")
        #expect(try MCPQuery.encode(["created_by": "a b&c=d/é", "flag": true, "n": 2.0]) == "created_by=a%20b%26c%3Dd%2F%C3%A9&flag=true&n=2")
        #expect(throws: EngineError.self) { try MCPQuery.encode(["type": ["echo"]]) }
    }
}

extension CharacterSet {
    static let toolName = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
}
