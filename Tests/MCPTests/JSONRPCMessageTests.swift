@testable import API
import JSON
import Testing

/// Envelope decoding, one named input at a time.
@Suite struct JSONRPCMessageTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var body: String
        var expected: Expected
        var testDescription: String { name }
    }

    enum Expected: Sendable {
        case request(method: String)
        case notification(method: String)
        case response
        case error(code: Int, idKept: Bool)
    }

    static let cases: [Case] = [
        Case(name: "request with int id", body: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, expected: .request(method: "tools/list")),
        Case(name: "request with string id and params", body: #"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}"#,
             expected: .request(method: "tools/call")),
        Case(name: "notification", body: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
             expected: .notification(method: "notifications/initialized")),
        Case(name: "null params is no params", body: #"{"jsonrpc":"2.0","id":2,"method":"ping","params":null}"#, expected: .request(method: "ping")),
        Case(name: "client response", body: #"{"jsonrpc":"2.0","id":7,"result":{}}"#, expected: .response),
        Case(name: "not JSON", body: #"{"jsonrpc":"2.0","#, expected: .error(code: -32700, idKept: false)),
        Case(name: "batch", body: #"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, expected: .error(code: -32600, idKept: false)),
        Case(name: "not an object", body: #""ping""#, expected: .error(code: -32600, idKept: false)),
        Case(name: "wrong jsonrpc version keeps id", body: #"{"jsonrpc":"1.0","id":3,"method":"ping"}"#, expected: .error(code: -32600, idKept: true)),
        Case(name: "null id", body: #"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, expected: .error(code: -32600, idKept: false)),
        Case(name: "fractional id", body: #"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, expected: .error(code: -32600, idKept: false)),
        Case(name: "missing method", body: #"{"jsonrpc":"2.0","id":4}"#, expected: .error(code: -32600, idKept: true)),
        Case(name: "method not a string", body: #"{"jsonrpc":"2.0","id":5,"method":5}"#, expected: .error(code: -32600, idKept: true)),
        Case(name: "params array", body: #"{"jsonrpc":"2.0","id":6,"method":"tools/list","params":[1]}"#, expected: .error(code: -32602, idKept: true)),
    ]

    @Test(arguments: cases)
    func decode(_ c: Case) {
        let decoded = JSONRPCMessage.decode(Array(c.body.utf8))
        switch (c.expected, decoded) {
        case (.request(let method), .success(.request(let id, let m, _))):
            #expect(m == method)
            #expect(id != .null)
        case (.notification(let method), .success(.notification(let m, _))):
            #expect(m == method)
        case (.response, .success(.response)):
            break
        case (.error(let code, let idKept), .failure(let failure)):
            #expect(failure.error.code == code)
            #expect((failure.id != nil) == idKept)
        default:
            Issue.record("\(c.name): got \(decoded)")
        }
    }

    @Test func errorReplyOmitsUnknownID() {
        let reply = JSONRPCReply.error(id: nil, .invalidRequest("x"))
        #expect(reply["id"] == nil)
        #expect(reply["error"]?["code"] == .int(-32600))
        #expect(JSONRPCReply.error(id: 9, .invalidRequest("x"))["id"] == .int(9))
    }
}
