import Foundation
import Glibc
import Testing
@testable import HTTP

@Suite("HTTPServer timeouts")
struct ServerTimeoutTests {
    @Test("slowloris: a head not completed in time gets 408 and is closed")
    func headerTimeout() throws {
        try ServerHarness.with({ $0.headerTimeout = 0.3 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n")
            let response = try client.readResponse()
            #expect(response.status == 408)
            #expect(response.text.contains("REQUEST_TIMEOUT"))
            #expect(client.waitForClose())
        }
    }

    @Test("trickling bytes does not extend the header deadline")
    func tricklingDoesNotExtend() throws {
        try ServerHarness.with({ $0.headerTimeout = 0.5 }) { _, port in
            let client = try RawClient(port: port)
            let started = Date()
            try client.send("GET / HTTP/1.1\r\n")
            var closedEarly = false
            for index in 0..<40 {
                usleep(50_000)
                // Sends fail once the server closed; that is the expected end.
                if (try? client.send("X-\(index): y\r\n")) == nil { closedEarly = true; break }
                if Date().timeIntervalSince(started) > 1.5 { break }
            }
            let bytes = client.readToEnd()
            #expect(closedEarly || String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408"))
            #expect(Date().timeIntervalSince(started) < 3)
        }
    }

    @Test("a body not completed in time gets 408")
    func bodyTimeout() throws {
        try ServerHarness.with({ $0.bodyTimeout = 0.3 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            #expect(try client.readResponse().status == 408)
        }
    }

    @Test("an idle keep-alive connection is closed silently")
    func idleTimeout() throws {
        try ServerHarness.with({ $0.idleTimeout = 0.3 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(client.waitForClose())
        }
    }

    @Test("a client that never reads cannot pin a large response: write timeout closes it")
    func writeTimeout() throws {
        let size = 32 * 1024 * 1024
        let handler: HTTPHandler = { _, responder in
            responder.respond(HTTPResponse(status: 200, body: [UInt8](repeating: 0x61, count: size)))
        }
        try ServerHarness.with({ $0.writeTimeout = 0.4 }, handler: handler) { server, port in
            let client = try RawClient(port: port)
            var small: Int32 = 4096
            setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { server.openConnections == 1 })
            // The client reads nothing; the server must drop the connection after 0.4 s.
            #expect(eventually(timeout: 5) { server.openConnections == 0 })
        }
    }
}
