import HTTP
import Logging

// Our HTTP module alone (no routing, no database): GET /v1/health → the JSON body hb-hello sends.
// Usage: http-hello [PORT]  (127.0.0.1; default 8099). I/O threads: one per CPU, as in the product.
var configuration = HTTPServerConfiguration()
configuration.port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8099
configuration.idleTimeout = 600
var logger = Logger(label: "http-hello")
logger.logLevel = .warning
let body = Array(#"{"status":"healthy","service":"AsyncGate","version":"0.1.0","instance_id":"bench"}"#.utf8)
let notFound = HTTPResponse.error(status: 404, code: "NOT_FOUND", message: "no route")
let server = HTTPServer(configuration: configuration, logger: logger) { request, responder in
    if request.path == "/v1/health" && (request.method == "GET" || request.method == "HEAD") {
        responder.respond(.json(status: 200, body: body))
    } else {
        responder.respond(notFound)
    }
}
try server.start()
print("http-hello listening on 127.0.0.1:\(server.localPort)")
server.waitUntilStopped()
