import Dispatch
import Foundation
import Glibc
import Testing
@testable import HTTP

@Suite("HTTPServer robustness")
struct ServerRobustnessTests {
    @Test("reset, half-closed and abandoned connections never leak")
    func noLeaks() throws {
        let never: HTTPHandler = { request, responder in
            if request.path == "/never" { return }  // bounded by client close
            responder.respond(HTTPResponse(status: 200))
        }
        try ServerHarness.with(handler: never) { server, port in
            var clients: [RawClient] = []
            for index in 0..<60 {
                let client = try RawClient(port: port)
                switch index % 4 {
                case 0: try client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Partial: ")  // mid-head
                case 1: try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")  // mid-body
                case 2: try client.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")  // handler never answers
                default: try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n")  // answered + partial
                }
                clients.append(client)
            }
            #expect(eventually { server.openConnections == 60 })
            for (index, client) in clients.enumerated() {
                if index % 2 == 0 {
                    // RST: SO_LINGER with a zero timeout.
                    var option = linger(l_onoff: 1, l_linger: 0)
                    setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
                } else {
                    client.shutdownWrite()
                }
            }
            clients.removeAll()
            #expect(eventually { server.openConnections == 0 })
            let fresh = try RawClient(port: port)
            try fresh.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try fresh.readResponse().status == 200)
        }
    }

    @Test("random bytes over sockets never take the server down")
    func randomBytesOverSockets() throws {
        try ServerHarness.with({ $0.headerTimeout = 0.5 }) { server, port in
            DispatchQueue.concurrentPerform(iterations: 40) { index in
                var random = SystemRandomNumberGenerator()
                guard let client = try? RawClient(port: port, timeout: 2) else { return }
                let prefix = index % 2 == 0 ? Array("POST / HTTP/1.1\r\nHost: x\r\n".utf8) : []
                let noise = (0..<Int.random(in: 1...4000, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                try? client.send(prefix + noise)
                _ = client.readToEnd()
            }
            let client = try RawClient(port: port)
            try client.send("GET /alive HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "GET /alive ")
            #expect(eventually { server.openConnections <= 1 })
        }
    }

    @Test("a client pipelining far ahead is throttled, not buffered without bound")
    func pipelineFlood() throws {
        let handler: HTTPHandler = { request, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.001) {
                responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
            }
        }
        try ServerHarness.with(handler: handler) { _, port in
            let client = try RawClient(port: port, timeout: 10)
            let count = 2000
            let writer = Thread {
                var burst = ""
                for index in 0..<count { burst += "GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n" }
                try? client.send(burst)
            }
            writer.start()
            for index in 0..<count {
                guard let response = try? client.readResponse() else {
                    Issue.record("response \(index) missing")
                    return
                }
                if response.text != "/\(index)" {
                    Issue.record("out of order at \(index)")
                    return
                }
            }
        }
    }
}
