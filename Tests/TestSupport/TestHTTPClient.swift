import Foundation
import JSON

#if canImport(Glibc)
import Glibc
#endif

/// A small blocking HTTP/1.1 client over a real TCP socket, with keep-alive: enough to drive the
/// server exactly as remote clients do (Content-Length bodies, status, headers, JSON).
public final class TestHTTPClient: @unchecked Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        public var json: JSON { (try? JSON.parse(body)) ?? .null }
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// The stable error code of an error response.
        public var errorCode: String? { json["error"]?["code"]?.stringValue }
    }

    public struct Failure: Error, CustomStringConvertible { public var description: String }

    let port: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    public init(port: Int) { self.port = port }
    deinit { if fd >= 0 { close(fd) } }

    public func get(_ path: String, headers: [String: String] = [:]) throws -> Response {
        try send("GET", path, body: nil, headers: headers)
    }

    public func post(_ path: String, _ body: JSON? = nil, headers: [String: String] = [:]) throws -> Response {
        try send("POST", path, body: body.map { $0.serialized() }, headers: headers)
    }

    public func postRaw(_ path: String, _ body: [UInt8], headers: [String: String] = [:]) throws -> Response {
        try send("POST", path, body: body, headers: headers)
    }

    public func send(_ method: String, _ path: String, body: [UInt8]?, headers: [String: String]) throws -> Response {
        for attempt in 0..<2 {
            if fd < 0 { try connect() }
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
            for (k, v) in headers { head += "\(k): \(v)\r\n" }
            if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
            head += "\r\n"
            var bytes = Array(head.utf8)
            if let body { bytes += body }
            do {
                do {
                    try writeAll(bytes)
                } catch {
                    // A server may answer early (413 from the headers) and close while we are still
                    // sending: the response is already on the socket, so read it before giving up.
                    if let early = try? readResponse(method: method) { return early }
                    throw error
                }
                return try readResponse(method: method)
            } catch {
                // the server may close an idle keep-alive connection: reconnect once
                close(fd); fd = -1; buffer = []
                if attempt == 1 { throw error }
            }
        }
        throw Failure(description: "unreachable")
    }

    private func connect() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); fd = -1; throw Failure(description: "connect() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var tv = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; throw Failure(description: "send failed: errno \(errno)") }
            offset += n
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && errno == EINTR { return }
        guard n > 0 else { throw Failure(description: "connection closed (errno \(errno))") }
        buffer += chunk[0..<n]
    }

    private func readResponse(method: String) throws -> Response {
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let r = find(crlfcrlf) { headEnd = r } else { try fill() }
        }
        let headText = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "bad status line \(statusLine)") }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        if status == 100 { return try readResponse(method: method) }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        let bodyLength = method == "HEAD" ? 0 : length
        while buffer.count < bodyLength { try fill() }
        let body = Array(buffer[0..<bodyLength])
        buffer.removeFirst(bodyLength)
        if headers.contains(where: { $0.0.lowercased() == "connection" && $0.1.lowercased() == "close" }) {
            close(fd); fd = -1; buffer = []
        }
        return Response(status: status, headers: headers, body: body)
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i] == needle[0] {
            if Array(buffer[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
