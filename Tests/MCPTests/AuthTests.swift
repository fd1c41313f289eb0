import API
import JSON
import Testing
import TestSupport

/// MCP authenticates exactly as REST: same credential, same refusal, tenant from the credential.
@Suite struct AuthTests {
    static let key = "mcp-test-shared-key-0123456789"
    let fixture: ServerFixture

    init() throws {
        fixture = try ServerFixture(api: { $0.authentication = .sharedKey(Self.key) })
    }

    static let listTools: JSON = ["jsonrpc": "2.0", "id": 1, "method": "tools/list"]

    @Test(arguments: [[String: String](), ["Authorization": "Bearer wrong-key-wrong-key-wrong"], ["X-API-Key": "nope"],
                      ["Authorization": "Basic \(key)"]])
    func refusedWithoutTheKey(_ headers: [String: String]) throws {
        let http = fixture.client()
        let r = try http.post("/mcp", Self.listTools, headers: headers)
        #expect(r.status == 401)
        #expect(r.errorCode == "UNAUTHORIZED")
        let challenge = try #require(r.header("WWW-Authenticate"))
        #expect(challenge.hasPrefix("Bearer "))
        #expect(challenge.contains("resource_metadata=\"http://127.0.0.1:\(fixture.port)/.well-known/oauth-protected-resource"))
        // REST refuses the same request the same way.
        #expect(try http.get("/v1/tasks", headers: headers).errorCode == "UNAUTHORIZED")
    }

    @Test(arguments: [["Authorization": "Bearer \(key)"], ["X-API-Key": key]])
    func servedWithTheKey(_ headers: [String: String]) throws {
        let mcp = MCPClient(fixture.client(), era: .modern, headers: headers)
        let created = try mcp.ok("asyncgate.create_task", ["type": "echo", "principal_id": "alice"])
        let taskID = try #require(created["task_id"]?.stringValue)
        // The REST view with the same key sees the same task.
        let rest = try fixture.client().get("/v1/tasks/\(taskID)", headers: headers)
        #expect(rest.status == 200)
    }

    @Test func notificationsNeedTheKeyToo() throws {
        let r = try fixture.client().post("/mcp", ["jsonrpc": "2.0", "method": "notifications/initialized"])
        #expect(r.status == 401)
    }

    @Test func tenantArgumentCannotEscapeTheCredentialsTenant() throws {
        let mcp = MCPClient(fixture.client(), era: .legacy("2025-11-25"), headers: ["Authorization": "Bearer \(Self.key)"])
        try mcp.connect()
        let same = try mcp.call("asyncgate.list_tasks", ["tenant_id": "00000000-0000-0000-0000-000000000000"])
        #expect(!same.isError)
        let other = try mcp.call("asyncgate.list_tasks", ["tenant_id": "11111111-1111-4111-8111-111111111111"])
        #expect(other.errorCode == "FORBIDDEN")
        let malformed = try mcp.call("asyncgate.list_tasks", ["tenant_id": "acme"])
        #expect(malformed.errorCode == "INVALID_TENANT")
    }

    @Test func metadataNeedsNoKey() throws {
        #expect(try fixture.client().get("/.well-known/oauth-protected-resource").status == 200)
    }
}

/// Insecure development mode: the first implementation's `tenant_id` argument selects the tenant,
/// exactly as `X-Tenant-ID` does for REST.
@Suite struct DevelopmentTenantTests {
    @Test func tenantArgumentSelectsTheTenantLikeTheHeader() throws {
        let fixture = try ServerFixture()
        let tenant = "22222222-2222-4222-8222-222222222222"
        let mcp = MCPClient(fixture.client(), era: .modern)
        let created = try mcp.ok("asyncgate.create_task", ["type": "echo", "principal_id": "alice", "tenant_id": .string(tenant)])
        let taskID = try #require(created["task_id"]?.stringValue)
        #expect(try fixture.client().get("/v1/tasks/\(taskID)", headers: ["X-Tenant-ID": tenant]).status == 200)
        #expect(try fixture.client().get("/v1/tasks/\(taskID)").errorCode == "TASK_NOT_FOUND", "other tenants do not see it")
    }
}
