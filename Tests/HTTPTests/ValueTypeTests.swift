import Foundation
import Testing
@testable import HTTP

@Suite("HTTP value types")
struct ValueTypeTests {
    @Test("headers: ordered, case-insensitive, replace and remove")
    func headers() {
        var headers = HTTPHeaders([("Accept", "a"), ("X-Multi", "1")])
        headers.add("x-multi", "2")
        #expect(headers["ACCEPT"] == "a")
        #expect(headers.values("X-MULTI") == ["1", "2"])
        #expect(headers.contains("x-multi"))
        #expect(headers.count == 3)
        headers.replaceOrAdd("X-Multi", "3")
        #expect(headers.values("x-multi") == ["3"])
        #expect(headers.map(\.name) == ["Accept", "X-Multi"])
        headers.remove("accept")
        #expect(headers["Accept"] == nil)
        #expect(!headers.contains("Accept"))
        #expect(headers["X-Mult"] == nil)
        #expect(HTTPHeaders()["a"] == nil)
        // Non-letters must not match by case folding ("[" vs "{").
        #expect(HTTPHeaders([("a[", "1")])["a{"] == nil)
    }

    @Test("request init derives path and decoded query items")
    func requestQuery() {
        let request = HTTPRequest(method: "GET", target: "/v1/x%20y?a=1&b=two+words&c=%E2%9C%93&a=2&flag&bad=%zz")
        #expect(request.path == "/v1/x y")
        #expect(request.query == "a=1&b=two+words&c=%E2%9C%93&a=2&flag&bad=%zz")
        #expect(request.queryValue("a") == "1")
        #expect(request.queryValue("b") == "two words")
        #expect(request.queryValue("c") == "✓")
        #expect(request.queryValue("flag") == "")
        #expect(request.queryValue("bad") == "%zz")
        #expect(request.queryValue("missing") == nil)
        #expect(request.queryItems.map(\.name) == ["a", "b", "c", "a", "flag", "bad"])
        #expect(HTTPRequest(method: "GET", target: "/plain").query == "")
    }

    @Test("error responses have the one AsyncGate error shape, correctly escaped")
    func errorShape() throws {
        let response = HTTPResponse.error(
            status: 404, code: "NOT_FOUND", message: "no \"task\" \\ here\n\u{1}", requestID: "r-1",
            headers: ["Retry-After": "2"]
        )
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.headers["Retry-After"] == "2")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["detail"] as? String == "no \"task\" \\ here\n\u{1}")
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["code"] as? String == "NOT_FOUND")
        #expect(error["message"] as? String == "no \"task\" \\ here\n\u{1}")
        #expect(error["request_id"] as? String == "r-1")
        let anonymous = HTTPResponse.error(status: 400, code: "BAD_REQUEST", message: "x")
        #expect(String(decoding: anonymous.body, as: UTF8.self) == #"{"detail":"x","error":{"code":"BAD_REQUEST","message":"x"}}"#)
    }

    @Test("the response writer owns framing headers and strips CR/LF from values")
    func responseWriter() {
        var response = HTTPResponse(status: 200, headers: [
            "Content-Length": "999", "Transfer-Encoding": "chunked", "X-Evil": "a\r\nSet-Cookie: x", "Bad Name": "v",
        ], body: Array("hi".utf8))
        response.headers.add("X-Ok", "1")
        var bytes: [UInt8] = []
        let context = ResponseWriter.Context(requestID: "id", isHead: false, close: true, announceKeepAlive: false, date: Array("D".utf8))
        ResponseWriter.write(response, context, into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == "HTTP/1.1 200 OK\r\nX-Evil: a  Set-Cookie: x\r\nX-Ok: 1\r\nDate: D\r\nContent-Length: 2\r\nX-Request-ID: id\r\nConnection: close\r\n\r\nhi")
    }

    @Test("a detached responder calls its closure once")
    func detachedResponder() {
        let count = Box(0)
        let responder = HTTPResponder { _ in count.update { $0 += 1 } }
        responder.respond(HTTPResponse(status: 200))
        responder.respond(HTTPResponse(status: 500))
        #expect(count.value == 1)
        #expect(responder.isConnectionOpen)
    }

    @Test("dates are IMF-fixdate")
    func date() {
        var time: time_t = 784_111_777
        #expect(HTTPDate.format(&time) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test("generated request ids are UUID v4 text and acceptable ids are validated")
    func requestIDs() {
        var generator = RequestIDGenerator()
        let id = generator.next()
        #expect(UUID(uuidString: id) != nil)
        #expect(id != generator.next())
        #expect(RequestIDGenerator.acceptable("a.b_c-1"))
        #expect(!RequestIDGenerator.acceptable(""))
        #expect(!RequestIDGenerator.acceptable(String(repeating: "a", count: 129)))
        #expect(!RequestIDGenerator.acceptable("a b"))
    }
}
