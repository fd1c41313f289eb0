import Hummingbird
import Logging

// Hummingbird 2 hello server: GET /v1/health → the JSON body http-hello sends too.
// Usage: hb-hello [PORT]  (127.0.0.1; default 8098). Hummingbird adds Date and Content-Length.
let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8098
let body = #"{"status":"healthy","service":"AsyncGate","version":"0.1.0","instance_id":"bench"}"#

let router = Router()
router.get("/v1/health") { _, _ -> Response in
    Response(
        status: .ok,
        headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: body))
    )
}
var logger = Logger(label: "hb-hello")
logger.logLevel = .warning
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    logger: logger
)
print("hb-hello listening on 127.0.0.1:\(port)")
try await app.runService()
