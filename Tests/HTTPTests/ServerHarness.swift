import Foundation
import Logging
import Synchronization
@testable import HTTP

/// Starts a server on an ephemeral port for one test and always shuts it down.
enum ServerHarness {
    static func configuration(_ adjust: (inout HTTPServerConfiguration) -> Void = { _ in }) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.ioThreads = 2
        configuration.shutdownGracePeriod = 5
        adjust(&configuration)
        return configuration
    }

    static func with(
        _ adjust: (inout HTTPServerConfiguration) -> Void = { _ in },
        handler: @escaping HTTPHandler = echoHandler,
        _ body: (HTTPServer, Int) throws -> Void
    ) throws {
        var logger = Logger(label: "http-tests")
        logger.logLevel = .warning
        let server = HTTPServer(configuration: configuration(adjust), logger: logger, handler: handler)
        try server.start()
        defer {
            server.shutdown()
            server.waitUntilStopped()
        }
        try body(server, server.localPort)
    }

    /// Echoes method, path and body: `METHOD path body`.
    static let echoHandler: HTTPHandler = { request, responder in
        let text = "\(request.method) \(request.path) " + String(decoding: request.body, as: UTF8.self)
        responder.respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: Array(text.utf8)))
    }
}

/// A thread-safe box for values captured by handlers.
final class Box<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update(_ change: (inout Value) -> Void) { storage.withLock { change(&$0) } }
}

/// Polls `condition` until true or `timeout` (for cross-thread effects; never a fixed sleep).
func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
