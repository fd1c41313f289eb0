@testable import API
import Testing

/// DNS-rebinding defence: which Origin headers the MCP endpoint serves.
@Suite struct MCPOriginPolicyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var origin: String?
        var host: String?
        var allowed: Bool
        var testDescription: String { "\(origin ?? "<none>") on \(host ?? "<no host>") → \(allowed)" }
    }

    static let cases: [Case] = [
        Case(origin: nil, host: "api.example.com", allowed: true),
        Case(origin: "http://localhost:3000", host: "api.example.com", allowed: true),
        Case(origin: "http://127.0.0.1:6274", host: "127.0.0.1:8080", allowed: true),
        Case(origin: "http://[::1]:5173", host: "[::1]:8080", allowed: true),
        Case(origin: "http://app.localhost", host: "api.example.com", allowed: true),
        Case(origin: "https://api.example.com", host: "api.example.com", allowed: true),
        Case(origin: "https://API.example.com:443", host: "api.example.com", allowed: true),
        Case(origin: "http://api.example.com:8080", host: "api.example.com:8080", allowed: true),
        Case(origin: "http://api.example.com:9090", host: "api.example.com:8080", allowed: false),
        Case(origin: "https://evil.example", host: "api.example.com", allowed: false),
        Case(origin: "http://127.0.0.1.evil.example", host: "api.example.com", allowed: false),
        Case(origin: "http://localhost.evil.example", host: "api.example.com", allowed: false),
        Case(origin: "null", host: "127.0.0.1:8080", allowed: false),
        Case(origin: "file://", host: "127.0.0.1:8080", allowed: false),
        Case(origin: "https://evil.example", host: nil, allowed: false),
    ]

    @Test(arguments: cases)
    func builtIn(_ c: Case) {
        #expect(MCPOriginPolicy().allows(origin: c.origin, host: c.host) == c.allowed)
    }

    @Test func allowlistedOrigin() {
        let policy = MCPOriginPolicy(allowedOrigins: ["https://app.example.com"])
        #expect(policy.allows(origin: "https://app.example.com", host: "api.example.com"))
        #expect(!policy.allows(origin: "https://app.example.com.evil", host: "api.example.com"))
    }
}
