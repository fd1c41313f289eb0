#if canImport(Glibc)
import Glibc
#endif

/// One keep-alive HTTP/1.1 connection to a loopback server, used by one thread at a time.
///
/// Deliberately minimal and allocation-light so the client spends as little of the machine's two
/// cores as possible: blocking POSIX socket, TCP_NODELAY, requests written in one `send`, responses
/// framed by Content-Length (the server always sends it). Reconnects when the server closes.
final class HTTPConnection {
    struct Response {
        var status: Int
        var body: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let host: String
    private let port: UInt16
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var start = 0
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    private(set) var reconnects = 0

    init(host: String, port: UInt16) {
        self.host = host
        self.port = port
        buffer.reserveCapacity(1 << 16)
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        buffer.removeAll(keepingCapacity: true)
        start = 0
    }

    func get(_ path: String) throws -> Response {
        try send("GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\r\n")
    }

    func post(_ path: String, json body: String) throws -> Response {
        try send("POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    /// Sends one request; a request on a connection the server closed while idle is retried once on
    /// a new connection (nothing was processed), anything else is a failure.
    private func send(_ request: String) throws -> Response {
        let fresh = fd < 0
        if fresh { try connect() }
        do {
            try write(request)
            return try readResponse()
        } catch let error as Failure where !fresh && error.description == "closed" {
            close()
            try connect()
            try write(request)
            return try readResponse()
        }
    }

    private func connect() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let e = errno
            close()
            throw Failure(description: "connect to \(host):\(port): errno \(e)")
        }
        reconnects += 1
    }

    private func write(_ request: String) throws {
        var request = request
        try request.withUTF8 { bytes in
            var sent = 0
            while sent < bytes.count {
                let n = Glibc.send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: errno == EPIPE || errno == ECONNRESET ? "closed" : "send: errno \(errno)")
                }
                sent += n
            }
        }
    }

    /// Reads more bytes into the buffer; false on orderly close.
    private func fill() throws -> Bool {
        let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if n < 0 {
            if errno == EINTR { return try fill() }
            if errno == ECONNRESET { return false }
            throw Failure(description: "recv: errno \(errno)")
        }
        buffer.append(contentsOf: scratch[0..<n])
        return n > 0
    }

    private func readResponse() throws -> Response {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        // Head: up to CRLFCRLF.
        var headEnd = -1
        var scanFrom = start
        while headEnd < 0 {
            if buffer.count - scanFrom >= 4 {
                for i in scanFrom...(buffer.count - 4)
                where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    headEnd = i
                    break
                }
                if headEnd < 0 { scanFrom = buffer.count - 3 }
            }
            if headEnd < 0 {
                let hadBytes = buffer.count > start
                guard try fill() else { throw Failure(description: hadBytes ? "connection closed mid-response" : "closed") }
            }
        }
        let head = String(decoding: buffer[start..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line: \(lines.first ?? "")")
        }
        var length = 0
        var closeAfter = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            if name == "content-length" { length = Int(value) ?? 0 }
            if name == "connection", value.lowercased() == "close" { closeAfter = true }
            if name == "transfer-encoding" { throw Failure(description: "chunked responses are not supported by agbench") }
        }
        let bodyStart = headEnd + 4
        while buffer.count - bodyStart < length {
            guard try fill() else { throw Failure(description: "connection closed mid-body") }
        }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        start = bodyStart + length
        if closeAfter { close() }
        return Response(status: status, body: body)
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
