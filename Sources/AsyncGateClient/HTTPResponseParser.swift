/// A complete HTTP/1.x response.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Whether the connection may carry another request.
    var keepAlive: Bool

    /// The first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// Why bytes from the server could not be read as an HTTP response.
struct HTTPResponseParseError: Error, Equatable {
    var reason: String
    /// The body (declared or received) is larger than the caller's cap.
    var tooLarge = false
}

/// Incremental HTTP/1.x response parser: no I/O, bytes in, at most one response out.
///
/// Contract: `append` bytes as they arrive, then call `parse(eof:)`; it returns nil while more
/// bytes are needed and the response once complete. Interim 1xx responses are skipped. Bodies are
/// framed by `Transfer-Encoding: chunked`, `Content-Length`, or (neither) the connection closing;
/// HEAD and 204/304 responses have none. Bytes after the response mean the connection is out of step
/// with us, so such a response is marked not reusable.
struct HTTPResponseParser {
    private enum State {
        case head
        case fixed(Int)
        case chunkSize
        case chunkData(Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    private let requestMethod: String
    private let maxBodyBytes: Int
    private let maxHeadBytes: Int
    private var buffer: [UInt8] = []
    private var scanFrom = 0
    private var state = State.head
    private var response = HTTPClientResponse(status: 0, headers: [], body: [], keepAlive: false)

    init(requestMethod: String, maxBodyBytes: Int, maxHeadBytes: Int = 64 * 1024) {
        self.requestMethod = requestMethod
        self.maxBodyBytes = maxBodyBytes
        self.maxHeadBytes = maxHeadBytes
    }

    /// True once any byte of a response arrived (a connection that dies before that may be a
    /// stale keep-alive connection rather than a server that processed the request).
    var receivedAnything: Bool { !buffer.isEmpty || scanFrom > 0 || response.status != 0 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    mutating func parse(eof: Bool) throws(HTTPResponseParseError) -> HTTPClientResponse? {
        while true {
            switch state {
            case .head:
                guard let end = find(crlfcrlf, from: scanFrom) else {
                    if buffer.count > maxHeadBytes { throw HTTPResponseParseError(reason: "response head larger than \(maxHeadBytes) bytes") }
                    scanFrom = max(0, buffer.count - 3)
                    if eof { throw HTTPResponseParseError(reason: buffer.isEmpty ? "connection closed before a response" : "connection closed inside the response head") }
                    return nil
                }
                let head = Array(buffer[0..<end])
                consume(end + 4)
                scanFrom = 0
                try parseHead(head)
            case .fixed(let remaining):
                let take = min(remaining, buffer.count)
                response.body.append(contentsOf: buffer[0..<take])
                consume(take)
                if remaining - take == 0 { state = .done; continue }
                state = .fixed(remaining - take)
                if eof { throw HTTPResponseParseError(reason: "connection closed with \(remaining - take) body bytes missing") }
                return nil
            case .chunkSize:
                guard let lineEnd = find(crlf, from: 0) else {
                    if buffer.count > 1024 { throw HTTPResponseParseError(reason: "chunk size line too long") }
                    if eof { throw HTTPResponseParseError(reason: "connection closed inside a chunked body") }
                    return nil
                }
                let line = buffer[0..<lineEnd].prefix { $0 != UInt8(ascii: ";") }  // chunk extensions are ignored
                let digits = String(decoding: line, as: UTF8.self).trimmed(" \t")
                guard !digits.isEmpty, digits.count <= 15, let size = Int(digits, radix: 16), size >= 0 else {
                    throw HTTPResponseParseError(reason: "bad chunk size \(digits.debugDescription)")
                }
                consume(lineEnd + 2)
                if response.body.count + size > maxBodyBytes {
                    throw HTTPResponseParseError(reason: "response body larger than \(maxBodyBytes) bytes", tooLarge: true)
                }
                state = size == 0 ? .trailers : .chunkData(size)
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count)
                response.body.append(contentsOf: buffer[0..<take])
                consume(take)
                if remaining - take == 0 { state = .chunkDataEnd; continue }
                state = .chunkData(remaining - take)
                if eof { throw HTTPResponseParseError(reason: "connection closed inside a chunk") }
                return nil
            case .chunkDataEnd:
                guard buffer.count >= 2 else {
                    if eof { throw HTTPResponseParseError(reason: "connection closed after a chunk") }
                    return nil
                }
                guard buffer[0] == 13, buffer[1] == 10 else { throw HTTPResponseParseError(reason: "chunk not followed by CRLF") }
                consume(2)
                state = .chunkSize
            case .trailers:
                guard let lineEnd = find(crlf, from: 0) else {
                    if buffer.count > maxHeadBytes { throw HTTPResponseParseError(reason: "trailers too large") }
                    if eof { throw HTTPResponseParseError(reason: "connection closed inside the trailers") }
                    return nil
                }
                consume(lineEnd + 2)
                if lineEnd == 0 { state = .done }
            case .untilClose:
                if response.body.count + buffer.count > maxBodyBytes {
                    throw HTTPResponseParseError(reason: "response body larger than \(maxBodyBytes) bytes", tooLarge: true)
                }
                response.body.append(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
                guard eof else { return nil }
                state = .done
            case .done:
                if !buffer.isEmpty { response.keepAlive = false }
                return response
            }
        }
    }

    private mutating func parseHead(_ head: [UInt8]) throws(HTTPResponseParseError) {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { throw HTTPResponseParseError(reason: "empty response head") }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]),
              (100...599).contains(status) else {
            throw HTTPResponseParseError(reason: "bad status line \(String(statusLine.prefix(80)).debugDescription)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw HTTPResponseParseError(reason: "bad header line \(String(line.prefix(80)).debugDescription)")
            }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmed(" \t")))
        }
        if (100...199).contains(status) { return }  // interim response: the real one follows

        response.status = status
        response.headers = headers
        let connection = response.header("Connection")?.lowercased() ?? ""
        let http10 = parts[0] == "HTTP/1.0"
        response.keepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close")

        if requestMethod == "HEAD" || status == 204 || status == 304 {
            state = .done
        } else if let te = response.header("Transfer-Encoding")?.lowercased(), te.contains("chunked") {
            state = .chunkSize
        } else if let cl = response.header("Content-Length") {
            guard let length = Int(cl.trimmed(" \t")), length >= 0 else {
                throw HTTPResponseParseError(reason: "bad Content-Length \(cl.debugDescription)")
            }
            guard length <= maxBodyBytes else {
                throw HTTPResponseParseError(reason: "response body of \(length) bytes is larger than \(maxBodyBytes)", tooLarge: true)
            }
            state = length == 0 ? .done : .fixed(length)
        } else {
            response.keepAlive = false
            state = .untilClose
        }
    }

    private let crlf: [UInt8] = [13, 10]
    private let crlfcrlf: [UInt8] = [13, 10, 13, 10]

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard buffer.count >= needle.count, start <= buffer.count - needle.count else { return nil }
        var i = start
        let last = buffer.count - needle.count
        while i <= last {
            if buffer[i] == needle[0] {
                var match = true
                for j in 1..<needle.count where buffer[i + j] != needle[j] { match = false; break }
                if match { return i }
            }
            i += 1
        }
        return nil
    }

    private mutating func consume(_ count: Int) {
        buffer.removeFirst(count)
    }
}

extension String {
    fileprivate func trimmed(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension Substring {
    fileprivate func trimmed(_ set: String) -> String { String(self).trimmed(set) }
}
