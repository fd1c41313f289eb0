import Dispatch
import Foundation
import Glibc
import Logging
import Testing
@testable import HTTP

@Suite("HTTPServer lifecycle and capacity")
struct ServerLifecycleTests {
    @Test("graceful shutdown lets an in-flight request finish, then stops")
    func gracefulShutdown() throws {
        let started = Box(false)
        let handler: HTTPHandler = { request, responder in
            started.update { $0 = true }
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
                responder.respond(HTTPResponse(status: 200, body: Array("done".utf8)))
            }
        }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = HTTPServer(configuration: ServerHarness.configuration(), logger: logger, handler: handler)
        try server.start()
        let port = server.localPort
        let idle = try RawClient(port: port)
        let client = try RawClient(port: port)
        try client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(eventually { started.value })
        server.shutdown()
        let response = try client.readResponse()
        #expect(response.text == "done")
        #expect(response.header("Connection") == "close")
        #expect(idle.waitForClose())
        server.waitUntilStopped()
        #expect(throws: (any Error).self) { try RawClient(port: port) }
    }

    @Test("shutdown cuts connections whose handler never responds after the grace period")
    func shutdownDeadline() throws {
        let handler: HTTPHandler = { _, _ in }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = HTTPServer(
            configuration: ServerHarness.configuration { $0.shutdownGracePeriod = 0.3 }, logger: logger, handler: handler
        )
        try server.start()
        let client = try RawClient(port: server.localPort)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(50_000)
        let started = Date()
        server.shutdown()
        server.waitUntilStopped()
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(client.waitForClose())
    }

    @Test("start throws a clear error when the port is taken")
    func portTaken() throws {
        try ServerHarness.with { _, port in
            let second = HTTPServer(
                configuration: ServerHarness.configuration { $0.port = port }, logger: Logger(label: "t"),
                handler: ServerHarness.echoHandler
            )
            #expect {
                try second.start()
            } throws: { error in
                "\(error)".contains("already in use")
            }
        }
    }

    @Test("shutdown and wait are safe before start and twice")
    func idempotentShutdown() {
        let server = HTTPServer(configuration: ServerHarness.configuration(), logger: Logger(label: "t"), handler: ServerHarness.echoHandler)
        server.shutdown()
        server.shutdown()
        server.waitUntilStopped()
    }

    @Test("isConnectionOpen turns false when the client goes away")
    func clientGoesAway() throws {
        let held = Box<HTTPResponder?>(nil)
        let handler: HTTPHandler = { _, responder in held.update { $0 = responder } }
        try ServerHarness.with(handler: handler) { _, port in
            var client: RawClient? = try RawClient(port: port)
            try client!.send("GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { held.value != nil })
            #expect(held.value?.isConnectionOpen == true)
            client = nil  // closes the socket
            #expect(eventually { held.value?.isConnectionOpen == false })
            held.value?.respond(HTTPResponse(status: 200))  // a late response is harmless
            held.update { $0 = nil }
        }
    }

    @Test("many concurrent connections, each with several keep-alive requests")
    func concurrentConnections() throws {
        try ServerHarness.with { _, port in
            let failures = Box(0)
            DispatchQueue.concurrentPerform(iterations: 64) { worker in
                do {
                    let client = try RawClient(port: port)
                    for index in 0..<20 {
                        try client.send("POST /w\(worker) HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n\(index % 10)!")
                        let response = try client.readResponse()
                        if response.text != "POST /w\(worker) \(index % 10)!" { failures.update { $0 += 1 } }
                    }
                } catch {
                    failures.update { $0 += 1 }
                }
            }
            #expect(failures.value == 0)
        }
    }

    @Test("hundreds of idle connections do not stop new ones being served")
    func manyIdleConnections() throws {
        try ServerHarness.with { _, port in
            var idle: [RawClient] = []
            for _ in 0..<500 { idle.append(try RawClient(port: port)) }
            let client = try RawClient(port: port)
            try client.send("GET /fresh HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "GET /fresh ")
            try idle[250].send("GET /old HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try idle[250].readResponse().text == "GET /old ")
        }
    }

    @Test("beyond maxConnections a new connection gets 503 and is closed")
    func connectionLimit() throws {
        try ServerHarness.with({ $0.maxConnections = 2 }) { _, port in
            let first = try RawClient(port: port)
            let second = try RawClient(port: port)
            try first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try first.readResponse()
            try second.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try second.readResponse()
            let third = try RawClient(port: port)
            let response = try third.readResponse()
            #expect(response.status == 503)
            #expect(response.header("Retry-After") == "1")
            #expect(third.waitForClose())
        }
    }

    /// A burst of connections (as from a load generator) must not all land on the loop that
    /// happened to win the accept race.
    @Test("connections are spread evenly over the I/O loops, and counted back down on close")
    func connectionsSpreadOverLoops() throws {
        try ServerHarness.with({ $0.ioThreads = 3 }) { server, port in
            var clients = try (0..<30).map { _ in try RawClient(port: port) }
            for client in clients {
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 200)
            }
            let loads = server.connectionsPerLoop
            #expect(loads.reduce(0, +) == 30)
            #expect(loads.max()! - loads.min()! <= 1, "\(loads)")
            clients.removeAll()
            #expect(eventually { server.connectionsPerLoop == [0, 0, 0] })
        }
    }

    @Test("a handler that answers from another thread after a delay")
    func asyncHandler() throws {
        let handler: HTTPHandler = { request, responder in
            Thread.detachNewThread {
                usleep(20_000)
                responder.respond(.json(status: 202, body: Array("{\"ok\":true}".utf8)))
            }
        }
        try ServerHarness.with(handler: handler) { _, port in
            let client = try RawClient(port: port)
            for _ in 0..<3 {
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 202)
                #expect(response.text == "{\"ok\":true}")
            }
        }
    }
}
