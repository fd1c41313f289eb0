import Foundation
import JSON

/// A typed, synchronous client for the AsyncGate REST API (`/v1`, COMPAT.md).
///
/// Every call blocks its thread until it has an answer, an error, or its timeout; calls are safe
/// from any number of threads at once (each exchange borrows its own keep-alive connection).
/// Failures are `AsyncGateError`s carrying the server's stable `error.code`.
///
/// Retries: transient failures (connection errors, timeouts, 429, 502–504) are retried with
/// exponential backoff — but only for calls that are safe to repeat (see `CallSafety`): GETs, a
/// create with an idempotency key, cancel, ack, and complete/fail. Complete and fail count as safe
/// because the server keeps released leases and answers a repeat from the same lease with success
/// without writing again; a retried fail whose first try requeued the task reports `requeued` as
/// true again. Claim, renew, running, progress and a key-less create are repeated only if the first
/// try never left this process (the connection could not be opened).
public final class AsyncGateClient: Sendable {
    public let configuration: ClientConfiguration
    let transport: HTTPTransport

    public init(configuration: ClientConfiguration) {
        self.configuration = configuration
        transport = HTTPTransport(host: configuration.server.host, port: configuration.server.port,
                                  hostHeader: configuration.server.hostHeader, connectTimeout: configuration.connectTimeout,
                                  maxIdle: configuration.maxIdleConnections, maxIdleSeconds: configuration.maxIdleSeconds,
                                  maxResponseBytes: configuration.maxResponseBytes)
    }

    public convenience init(url: String, apiKey: String? = nil, tenantID: UUID? = nil) throws(AsyncGateError) {
        self.init(configuration: try ClientConfiguration(url: url, apiKey: apiKey, tenantID: tenantID))
    }

    /// Closes idle keep-alive connections (they are closed on deinit anyway).
    public func closeIdleConnections() { transport.closeIdle() }

    // MARK: The one place requests are sent

    /// A response that may be an error; `call` decides.
    struct Reply {
        var status: Int
        var json: JSON
        var requestID: String
    }

    /// Sends one call, retrying per `safety`, and returns the JSON of a 2xx response. Any other
    /// status becomes an `AsyncGateError` built from the error body (unless `accept` lets it through).
    func call(_ method: String, _ path: String, query: [(String, String?)] = [], body: JSON? = nil,
              safety: CallSafety, extraTimeout: Double = 0, accept: (Reply) -> Bool = { _ in false }) throws(AsyncGateError) -> Reply {
        let requestID = UUID().uuidString.lowercased()
        var request = HTTPClientRequest(method: method, target: target(path, query))
        request.headers.append(("Accept", "application/json"))
        request.headers.append(("User-Agent", configuration.userAgent))
        request.headers.append(("X-Request-ID", requestID))
        if let key = configuration.apiKey { request.headers.append(("Authorization", "Bearer \(key)")) }
        if let tenant = configuration.tenantID { request.headers.append(("X-Tenant-ID", tenant.uuidString.lowercased())) }
        if let body {
            request.headers.append(("Content-Type", "application/json"))
            request.body = body.serialized()
        }
        let policy = configuration.retry
        var attempt = 1
        while true {
            let error: AsyncGateError
            do throws(AsyncGateError) {
                let response = try transport.perform(request, timeout: configuration.requestTimeout + extraTimeout)
                let reply = try decode(response, requestID: requestID)
                if (200...299).contains(reply.status) || accept(reply) { return reply }
                error = Self.serverError(reply, response: response)
            } catch let e {
                var e = e
                if e.requestID == nil { e.requestID = requestID }
                error = e
            }
            guard attempt < policy.maxAttempts, safety.mayRetry(error) else { throw error }
            Thread.sleep(forTimeInterval: policy.delay(afterAttempt: attempt, retryAfter: error.retryAfter))
            attempt += 1
        }
    }

    private func decode(_ response: HTTPClientResponse, requestID: String) throws(AsyncGateError) -> Reply {
        let id = response.header("X-Request-ID") ?? requestID
        if response.body.isEmpty {
            return Reply(status: response.status, json: .null, requestID: id)
        }
        do {
            return Reply(status: response.status, json: try JSON.parse(response.body), requestID: id)
        } catch {
            // A non-JSON error page (a proxy's) is still an error with a status; a non-JSON success is a broken contract.
            if !(200...299).contains(response.status) { return Reply(status: response.status, json: .null, requestID: id) }
            throw AsyncGateError(code: .invalidResponse, status: response.status, message: "response is not JSON: \(error)", requestID: id)
        }
    }

    static func serverError(_ reply: Reply, response: HTTPClientResponse) -> AsyncGateError {
        let error = reply.json["error"]
        let code = error?["code"]?.stringValue.map(AsyncGateError.Code.init(rawValue:)) ?? .unknownServerError
        let message = error?["message"]?.stringValue ?? reply.json["detail"]?.stringValue ?? "HTTP \(reply.status)"
        let requestID = error?["request_id"]?.stringValue ?? reply.requestID
        let retryAfter = response.header("Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        return AsyncGateError(code: code, status: reply.status, message: message, requestID: requestID, retryAfter: retryAfter)
    }

    private func target(_ path: String, _ query: [(String, String?)]) -> String {
        var target = configuration.server.basePath + path
        var separator = "?"
        for (name, value) in query {
            guard let value else { continue }
            target += separator + Self.percentEncode(name) + "=" + Self.percentEncode(value)
            separator = "&"
        }
        return target
    }

    /// RFC 3986 unreserved characters pass; everything else is %XX (UTF-8).
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }

    static func pathID(_ id: UUID) -> String { id.uuidString.lowercased() }
}
