import Foundation

/// A request ready for the wire: method, target (path + query, already encoded), headers, body.
struct HTTPClientRequest {
    var method: String
    var target: String
    var headers: [(String, String)] = []
    var body: [UInt8]?

    func serialized(host: String) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" } else if method == "POST" || method == "PUT" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if let body { bytes += body }
        return bytes
    }
}

/// HTTP/1.1 over POSIX sockets with keep-alive: one exchange at a time per connection, idle
/// connections reused (after a staleness check) up to a count and an age.
///
/// Why not FoundationNetworking's URLSession: on Linux it is a libcurl shim whose timeouts,
/// connection reuse and thread use we cannot see or bound, it drags libcurl into every binary that
/// links the client, and its async-callback shape fits badly with the synchronous threads the
/// worker and scheduler run on. Sixty lines of poll() give deadlines we can reason about.
final class HTTPTransport: @unchecked Sendable {
    // @unchecked: `idle` is only touched under `lock`; sockets in it belong to no caller.
    private let lock = NSLock()
    private var idle: [HTTPSocket] = []
    let host: String
    let port: Int
    let hostHeader: String
    let connectTimeout: Double
    let maxIdle: Int
    let maxIdleSeconds: Double
    let maxResponseBytes: Int

    init(host: String, port: Int, hostHeader: String, connectTimeout: Double, maxIdle: Int, maxIdleSeconds: Double, maxResponseBytes: Int) {
        self.host = host
        self.port = port
        self.hostHeader = hostHeader
        self.connectTimeout = connectTimeout
        self.maxIdle = maxIdle
        self.maxIdleSeconds = maxIdleSeconds
        self.maxResponseBytes = maxResponseBytes
    }

    deinit { closeIdle() }

    /// One exchange, bounded by `timeout` seconds in total (connect included).
    func perform(_ request: HTTPClientRequest, timeout: Double) throws(AsyncGateError) -> HTTPClientResponse {
        let start = Monotonic.now()
        let deadline = start + max(0.001, timeout)
        let socket: HTTPSocket
        if let reused = takeIdle() {
            socket = reused
        } else {
            socket = try HTTPSocket.connect(host: host, port: port, deadline: min(deadline, start + connectTimeout))
        }
        var parser = HTTPResponseParser(requestMethod: request.method, maxBodyBytes: maxResponseBytes)
        do {
            try socket.write(request.serialized(host: hostHeader), deadline: deadline)
            let response = try socket.readResponse(into: &parser, deadline: deadline)
            if response.keepAlive { giveBack(socket) } else { socket.close() }
            return response
        } catch {
            socket.close()
            throw error
        }
    }

    private func takeIdle() -> HTTPSocket? {
        let now = Monotonic.now()
        while true {
            lock.lock()
            let candidate = idle.popLast()
            lock.unlock()
            guard let socket = candidate else { return nil }
            if now - socket.lastUsed > maxIdleSeconds || socket.isStale {
                socket.close()
                continue
            }
            return socket
        }
    }

    private func giveBack(_ socket: HTTPSocket) {
        socket.lastUsed = Monotonic.now()
        lock.lock()
        if idle.count < maxIdle {
            idle.append(socket)
            lock.unlock()
        } else {
            lock.unlock()
            socket.close()
        }
    }

    func closeIdle() {
        lock.lock()
        let sockets = idle
        idle.removeAll()
        lock.unlock()
        sockets.forEach { $0.close() }
    }
}
