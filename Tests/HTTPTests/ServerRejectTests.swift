import Foundation
import Testing
@testable import HTTP

@Suite("HTTPServer protocol errors over real sockets")
struct ServerRejectTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var request: String
        var status: Int
        var code: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "CL + TE", request: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "duplicate CL", request: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", status: 400, code: "BAD_REQUEST"),
        Case(name: "TE gzip", request: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "TE gzip, chunked", request: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501, code: "NOT_IMPLEMENTED"),
        Case(name: "bad chunk size", request: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "bare LF", request: "GET / HTTP/1.1\nHost: x\n\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "obs-fold", request: "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "space before colon", request: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "NUL in header", request: "GET / HTTP/1.1\r\nHost: x\r\nX: a\u{0}\r\n\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "missing Host", request: "GET / HTTP/1.1\r\n\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "two Hosts", request: "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "garbage", request: "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\r\n\r\n", status: 400, code: "BAD_REQUEST"),
        Case(name: "HTTP/2.0", request: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", status: 505, code: "HTTP_VERSION_NOT_SUPPORTED"),
        Case(name: "long URI", request: "GET /" + String(repeating: "u", count: 300) + " HTTP/1.1\r\nHost: x\r\n\r\n", status: 414, code: "URI_TOO_LONG"),
        Case(name: "big header", request: "GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "h", count: 600) + "\r\n\r\n", status: 431, code: "HEADERS_TOO_LARGE"),
        Case(name: "many headers", request: "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X: 1\r\n", count: 12) + "\r\n", status: 431, code: "HEADERS_TOO_LARGE"),
    ]

    static func small(_ configuration: inout HTTPServerConfiguration) {
        configuration.maxRequestLineBytes = 256
        configuration.maxHeaderBytes = 512
        configuration.maxHeaderCount = 10
        configuration.maxBodyBytes = 1024
    }

    @Test("malformed requests get a JSON error and the connection is closed", arguments: cases)
    func rejects(_ testCase: Case) throws {
        try ServerHarness.with(Self.small) { _, port in
            let client = try RawClient(port: port)
            try client.send(testCase.request)
            let response = try client.readResponse()
            #expect(response.status == testCase.status)
            #expect(response.header("Connection") == "close")
            #expect(response.header("Content-Type") == "application/json")
            let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            let error = json?["error"] as? [String: Any]
            #expect(error?["code"] as? String == testCase.code)
            #expect(error?["request_id"] as? String == response.header("X-Request-ID"))
            #expect(json?["detail"] as? String == error?["message"] as? String)
            #expect(client.waitForClose())
        }
    }

    @Test("413 is answered from the headers without reading the body")
    func payloadTooLargeFromHeaders() throws {
        try ServerHarness.with(Self.small) { _, port in
            let client = try RawClient(port: port)
            // 10 MB announced, nothing sent: the answer must not wait for the body.
            try client.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\nExpect: 100-continue\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.text.contains("PAYLOAD_TOO_LARGE"))
            #expect(client.waitForClose())
        }
    }

    @Test("a chunked body over the limit gets 413 while de-chunking")
    func chunkedTooLarge() throws {
        try ServerHarness.with(Self.small) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + String(repeating: "a", count: 1024) + "\r\n1\r\n")
            #expect(try client.readResponse().status == 413)
        }
    }

    @Test("a client that half-closes mid-body gets 400 (missing final chunk)")
    func incompleteChunked() throws {
        try ServerHarness.with { _, port in
            let client = try RawClient(port: port)
            try client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
            client.shutdownWrite()
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(response.text.contains("BAD_REQUEST"))
        }
    }
}
