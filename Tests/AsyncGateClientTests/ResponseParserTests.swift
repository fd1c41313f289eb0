@testable import AsyncGateClient
import Testing

/// The response parser, fed every fixture at every chunk size from 1 byte to whole.
@Suite struct ResponseParserTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var method = "GET"
        var raw: String
        var status = 200
        var body = ""
        var keepAlive = true
        var maxBody = 1 << 20
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "content-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", body: "hello"),
        Case(name: "empty body", raw: "HTTP/1.1 204 No Content\r\n\r\n", status: 204),
        Case(name: "zero length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Case(name: "chunked with extension and trailer",
             raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
             body: "hello world"),
        Case(name: "connection close", raw: "HTTP/1.1 500 Oops\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno",
             status: 500, body: "no", keepAlive: false),
        Case(name: "interim 100 skipped", raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
             status: 201, body: "ok"),
        Case(name: "HEAD has no body", method: "HEAD", raw: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"),
        Case(name: "http/1.0 closes by default", raw: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", body: "x", keepAlive: false),
    ]

    @Test(arguments: cases)
    func parsesAtEveryChunkSize(_ c: Case) throws {
        let bytes = Array(c.raw.utf8)
        for size in 1...bytes.count {
            var parser = HTTPResponseParser(requestMethod: c.method, maxBodyBytes: c.maxBody)
            var result: HTTPClientResponse?
            var offset = 0
            while result == nil && offset < bytes.count {
                let end = min(bytes.count, offset + size)
                parser.append(Array(bytes[offset..<end]))
                offset = end
                result = try parser.parse(eof: false)
            }
            let response = try #require(result, "chunk size \(size)")
            #expect(response.status == c.status)
            #expect(String(decoding: response.body, as: UTF8.self) == c.body, "chunk size \(size)")
            #expect(response.keepAlive == c.keepAlive)
        }
    }

    @Test func bodyUntilCloseNeedsEOF() throws {
        var parser = HTTPResponseParser(requestMethod: "GET", maxBodyBytes: 100)
        parser.append(Array("HTTP/1.1 200 OK\r\n\r\nabc".utf8))
        #expect(try parser.parse(eof: false) == nil)
        let response = try #require(try parser.parse(eof: true))
        #expect(String(decoding: response.body, as: UTF8.self) == "abc")
        #expect(!response.keepAlive)
    }

    struct Reject: CustomTestStringConvertible, Sendable {
        var name: String
        var raw: String
        var eof = false
        var tooLarge = false
        var testDescription: String { name }
    }

    static let rejects: [Reject] = [
        Reject(name: "garbage status line", raw: "HTTX 200\r\n\r\n"),
        Reject(name: "bad content-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
        Reject(name: "declared body over the cap", raw: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", tooLarge: true),
        Reject(name: "chunked body over the cap", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nB\r\n", tooLarge: true),
        Reject(name: "bad chunk size", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        Reject(name: "truncated body", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", eof: true),
        Reject(name: "closed before any byte", raw: "", eof: true),
    ]

    @Test(arguments: rejects)
    func rejectsMalformed(_ r: Reject) {
        var parser = HTTPResponseParser(requestMethod: "GET", maxBodyBytes: 10)
        parser.append(Array(r.raw.utf8))
        do {
            _ = try parser.parse(eof: r.eof)
            Issue.record("accepted \(r.name)")
        } catch {
            #expect(error.tooLarge == r.tooLarge)
        }
    }
}
