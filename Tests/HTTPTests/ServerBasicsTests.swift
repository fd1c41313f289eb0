import Dispatch
import Foundation
import Testing
@testable import HTTP

@Suite("HTTPServer basics over real sockets")
struct ServerBasicsTests {
    @Test("keep-alive: several requests on one connection, server headers present")
    func keepAlive() throws {
        try ServerHarness.with { _, port in
            let client = try RawClient(port: port)
            for index in 0..<3 {
                try client.send("GET /k\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "GET /k\(index) ")
                #expect(response.header("Content-Length") == "\(response.body.count)")
                #expect(response.header("Date")?.hasSuffix("GMT") == true)
                #expect(response.header("X-Request-ID")?.count == 36)
                #expect(response.header("Connection") == nil)
                #expect(response.header("Content-Type") == "text/plain")
            }
        }
    }

    @Test("pipelined requests are answered in order even when the handler answers out of order")
    func pipeliningOrder() throws {
        let handler: HTTPHandler = { request, responder in
            // Later requests finish first if the server does not hold them back.
            let delay = request.path == "/p0" ? 50_000 : Int.random(in: 0...5_000)
            DispatchQueue.global().async {
                usleep(useconds_t(delay))
                responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
            }
        }
        try ServerHarness.with(handler: handler) { _, port in
            let client = try RawClient(port: port)
            var burst = ""
            for index in 0..<25 { burst += "GET /p\(index) HTTP/1.1\r\nHost: x\r\n\r\n" }
            try client.send(burst)
            for index in 0..<25 {
                #expect(try client.readResponse().text == "/p\(index)")
            }
        }
    }

    @Test("a request split into one-byte writes works")
    func tinyWrites() throws {
        try ServerHarness.with { _, port in
            let client = try RawClient(port: port)
            for byte in Array("POST /tiny HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc".utf8) {
                try client.send([byte])
            }
            #expect(try client.readResponse().text == "POST /tiny abc")
        }
    }

    @Test("HTTP/1.0 closes by default and keeps alive when asked")
    func http10() throws {
        try ServerHarness.with { _, port in
            let plain = try RawClient(port: port)
            try plain.send("GET /old HTTP/1.0\r\n\r\n")
            let response = try plain.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(plain.waitForClose())

            let kept = try RawClient(port: port)
            try kept.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try kept.readResponse().header("Connection") == "keep-alive")
            try kept.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try kept.readResponse().text == "GET /b ")
        }
    }

    @Test("HEAD gets the handler's headers and Content-Length but no body bytes")
    func head() throws {
        try ServerHarness.with { _, port in
            let client = try RawClient(port: port)
            try client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "\("HEAD /h ".utf8.count)")
            #expect(head.header("Content-Type") == "text/plain")
            // If body bytes had been sent, this would not parse as the next response.
            #expect(try client.readResponse().text == "GET /after ")
        }
    }

    @Test("Connection: close from the client closes after the response")
    func connectionClose() throws {
        try ServerHarness.with { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("Connection") == "close")
            #expect(client.waitForClose())
        }
    }

    @Test("a valid X-Request-ID is echoed, an invalid one replaced")
    func requestID() throws {
        let seen = Box<[String]>([])
        let handler: HTTPHandler = { request, responder in
            seen.update { $0.append(request.requestID) }
            responder.respond(HTTPResponse(status: 204))
        }
        try ServerHarness.with(handler: handler) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc.DEF_1-2\r\n\r\n")
            let first = try client.readResponse()
            #expect(first.status == 204)
            #expect(first.header("X-Request-ID") == "abc.DEF_1-2")
            #expect(first.header("Content-Length") == nil)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: bad id!\r\n\r\n")
            let second = try client.readResponse()
            #expect(second.header("X-Request-ID") != "bad id!")
            #expect(seen.value == ["abc.DEF_1-2", second.header("X-Request-ID")!])
        }
    }

    @Test("the handler sees method, path, query, headers, body and remote address")
    func requestFields() throws {
        let captured = Box<HTTPRequest?>(nil)
        let handler: HTTPHandler = { request, responder in
            captured.update { $0 = request }
            responder.respond(.json(status: 201, body: Array("{}".utf8)))
        }
        try ServerHarness.with(handler: handler) { _, port in
            let client = try RawClient(port: port)
            try client.send("PATCH /v1/a%2Fb?x=1+2&y=%C3%A9 HTTP/1.1\r\nHost: x\r\nX-Custom: v\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 201)
            #expect(response.header("Content-Type") == "application/json")
            let request = try #require(captured.value)
            #expect(request.method == "PATCH")
            #expect(request.path == "/v1/a/b")
            #expect(request.queryValue("x") == "1 2")
            #expect(request.queryValue("y") == "é")
            #expect(request.headers["x-custom"] == "v")
            #expect(request.body == Array("ok".utf8))
            #expect(request.remoteAddress.hasPrefix("127.0.0.1:"))
        }
    }

    @Test("maxRequestsPerConnection closes the connection on the last allowed request")
    func requestLimit() throws {
        try ServerHarness.with({ $0.maxRequestsPerConnection = 2 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().header("Connection") == nil)
            try client.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().header("Connection") == "close")
            #expect(client.waitForClose())
        }
    }

    @Test("Expect: 100-continue gets 100 Continue before the body is sent")
    func expectContinue() throws {
        try ServerHarness.with { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("hello")
            let final = try client.readResponse()
            #expect(final.status == 200)
            #expect(final.text == "POST /up hello")
        }
    }

    @Test("a handler responding twice: the second response is ignored")
    func respondTwice() throws {
        let handler: HTTPHandler = { request, responder in
            responder.respond(HTTPResponse(status: 200, body: Array("first".utf8)))
            responder.respond(HTTPResponse(status: 500, body: Array("second".utf8)))
        }
        try ServerHarness.with(handler: handler) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "first")
            #expect(try client.readResponse().text == "first")
        }
    }
}
