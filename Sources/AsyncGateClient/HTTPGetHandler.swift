import Foundation
import JSON

/// `http_get`: `{"url": "http://...", "timeout_seconds"?: 1...120, "max_bytes"?: 1...64 MiB}` →
/// GETs the URL (one request, redirects not followed) and completes with
/// `{"status", "sha256", "bytes", "content_type"}` plus an artifact describing the response.
///
/// Only `http://` URLs: the client library carries no TLS stack (see `HTTPTransport`).
/// Failures: a malformed payload, a non-http URL or a body over the size cap are terminal;
/// connection errors, timeouts, 429 and 5xx answers are retryable (the server requeues while
/// attempts remain).
public struct HTTPGetHandler: TaskHandler {
    public var defaultTimeout: Double
    public var defaultMaxBytes: Int
    public static let maxTimeout = 120.0
    public static let maxBytesLimit = 64 << 20

    public init(defaultTimeout: Double = 10, defaultMaxBytes: Int = 10 << 20) {
        self.defaultTimeout = defaultTimeout
        self.defaultMaxBytes = defaultMaxBytes
    }

    public func handle(_ context: TaskContext) throws -> TaskOutcome {
        guard case .object(let fields) = context.payload else { throw HandlerFailure.badPayload("payload must be an object") }
        guard let url = fields["url"]?.stringValue else { throw HandlerFailure.badPayload("url (a string) is required") }
        var timeout = defaultTimeout
        if let t = fields["timeout_seconds"], !t.isNull {
            guard let v = t.doubleValue, v > 0, v <= Self.maxTimeout else {
                throw HandlerFailure.badPayload("timeout_seconds must be a number in (0, \(Int(Self.maxTimeout))]")
            }
            timeout = v
        }
        var maxBytes = defaultMaxBytes
        if let m = fields["max_bytes"], !m.isNull {
            guard let v = m.intValue, v >= 1, v <= Self.maxBytesLimit else {
                throw HandlerFailure.badPayload("max_bytes must be an integer in 1...\(Self.maxBytesLimit)")
            }
            maxBytes = v
        }
        let target: (address: ServerAddress, path: String)
        do {
            target = try Self.parse(url)
        } catch {
            throw HandlerFailure.badPayload(error.message)
        }
        let response = try fetch(target.address, path: target.path, timeout: timeout, maxBytes: maxBytes)
        if response.status == 429 || (500...599).contains(response.status) {
            throw HandlerFailure.transient("\(url) answered HTTP \(response.status)", details: ["status": .int(Int64(response.status))])
        }
        let digest = SHA256.hex(response.body)
        let contentType: JSON = response.header("Content-Type").map { .string($0) } ?? .null
        let summary: JSON = [
            "status": .int(Int64(response.status)), "sha256": .string(digest), "bytes": .int(Int64(response.body.count)),
            "content_type": contentType, "url": .string(url),
        ]
        let artifact: JSON = [
            "type": "http_response", "uri": .string(url), "mime": contentType, "sha256": .string(digest),
            "bytes": .int(Int64(response.body.count)), "status": .int(Int64(response.status)),
        ]
        return TaskOutcome(result: summary, artifacts: [artifact])
    }

    private func fetch(_ address: ServerAddress, path: String, timeout: Double, maxBytes: Int) throws -> HTTPClientResponse {
        let deadline = Monotonic.now() + timeout
        do throws(AsyncGateError) {
            let socket = try HTTPSocket.connect(host: address.host, port: address.port, deadline: deadline)
            defer { socket.close() }
            var request = HTTPClientRequest(method: "GET", target: path)
            request.headers = [("User-Agent", "asyncgate-reference-worker/0.1"), ("Accept", "*/*"), ("Connection", "close")]
            try socket.write(request.serialized(host: address.hostHeader), deadline: deadline)
            var parser = HTTPResponseParser(requestMethod: "GET", maxBodyBytes: maxBytes)
            return try socket.readResponse(into: &parser, deadline: deadline)
        } catch {
            if error.code == .responseTooLarge {
                throw HandlerFailure(kind: "too_large", message: "response body exceeds \(maxBytes) bytes", retryable: false)
            }
            if error.code == .invalidResponse {
                throw HandlerFailure(kind: "bad_response", message: error.message, retryable: true)
            }
            throw HandlerFailure.transient(error.message)
        }
    }

    /// Splits `http://host[:port]/path?query` into an address and the request target.
    static func parse(_ url: String) throws(AsyncGateError) -> (address: ServerAddress, path: String) {
        guard url.lowercased().hasPrefix("http://") else {
            throw AsyncGateError(code: .invalidRequest, message: "url must start with http:// (https is not supported by the reference worker)")
        }
        guard !url.contains(where: { $0 == " " || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false }) else {
            throw AsyncGateError(code: .invalidRequest, message: "url contains spaces or control characters")
        }
        let afterScheme = url.dropFirst("http://".count)
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        var target = String(afterScheme[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        let address = try ServerAddress(url: "http://" + afterScheme[..<authorityEnd])
        return (address, target)
    }
}
