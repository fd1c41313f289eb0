import Foundation
import Glibc

/// A tiny HTTP/1.1 proxy in front of the real server that misbehaves on cue, so retry behaviour is
/// tested against real sockets: each incoming request consumes the next scripted action (then
/// everything is forwarded). Requests are framed by Content-Length (the client always sends it).
final class FaultProxy: @unchecked Sendable {
    enum Action {
        /// Pass the request to the server and its response back.
        case forward
        /// Close the client's connection without sending the request anywhere.
        case dropBeforeForward
        /// Let the server process the request, then close the client's connection without answering.
        case dropAfterForward
        /// Answer with this status and body instead of forwarding.
        case respond(status: Int, body: String, headers: [(String, String)])
        /// Read the request and never answer (until the proxy is closed).
        case hang
    }

    let upstreamPort: Int
    private(set) var port = 0
    private let lock = NSLock()
    private var script: [Action]
    private var listener: Int32 = -1
    private var seen: [String] = []
    private var bodies: [String] = []
    private var openFDs: Set<Int32> = []
    private var closed = false
    private var accepted = 0

    init(upstreamPort: Int, script: [Action]) throws {
        self.upstreamPort = upstreamPort
        self.script = script
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else {
            let error = errno
            Glibc.close(listener)
            listener = -1
            throw ProxyError("bind/listen failed: errno \(error)")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in self.acceptLoop() }
        thread.start()
    }

    struct ProxyError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Request bodies in arrival order.
    var requestBodies: [String] {
        lock.lock()
        defer { lock.unlock() }
        return bodies
    }

    /// Client connections accepted so far.
    var connectionsAccepted: Int {
        lock.lock()
        defer { lock.unlock() }
        return accepted
    }

    /// Request lines ("METHOD /path") in arrival order.
    var requests: [String] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    /// Stops accepting and cuts every open connection; safe to call twice (tests call it, then
    /// `deinit` does). It only shuts sockets down: each descriptor is closed exactly once, by the
    /// thread that uses it, so a descriptor number is never closed after the kernel has reused it
    /// for another test's socket in this process.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        // Wakes the blocked accept() (EINVAL); the accept loop then closes the listener.
        if listener >= 0 { shutdown(listener, Int32(SHUT_RDWR)) }
        // Under the lock: a connection's thread closes its descriptor under it too (`release`).
        for fd in openFDs { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    deinit { close() }

    private func release(_ fd: Int32) {
        lock.lock()
        openFDs.remove(fd)
        Glibc.close(fd)
        lock.unlock()
    }

    private func acceptLoop() {
        defer {
            lock.lock()
            Glibc.close(listener)
            listener = -1
            lock.unlock()
        }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            // Registered under the same lock `close()` takes, so no connection escapes its shutdown.
            lock.lock()
            let isClosed = closed
            if !isClosed {
                openFDs.insert(fd)
                accepted += 1
            }
            lock.unlock()
            if isClosed {
                Glibc.close(fd)
                return
            }
            let thread = Thread { [self] in
                self.serve(fd)
                self.release(fd)
            }
            thread.start()
        }
    }

    private func nextAction(for line: String, body: String) -> Action {
        lock.lock()
        defer { lock.unlock() }
        seen.append(line)
        bodies.append(body)
        return script.isEmpty ? .forward : script.removeFirst()
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        while let request = readMessage(fd, &buffer, isResponse: false) {
            let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
            let parts = line.split(separator: " ")
            let bodyStart = (find(request, [13, 10, 13, 10]) ?? request.count - 4) + 4
            let body = String(decoding: request[bodyStart...], as: UTF8.self)
            switch nextAction(for: parts.prefix(2).joined(separator: " "), body: body) {
            case .forward:
                guard let response = roundTrip(request) else { return }
                guard writeAll(fd, response) else { return }
            case .dropBeforeForward:
                return
            case .dropAfterForward:
                _ = roundTrip(request)
                return
            case .respond(let status, let body, let headers):
                var head = "HTTP/1.1 \(status) Injected\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                for (k, v) in headers { head += "\(k): \(v)\r\n" }
                guard writeAll(fd, Array((head + "\r\n" + body).utf8)) else { return }
            case .hang:
                var scratch = [UInt8](repeating: 0, count: 1024)
                while recv(fd, &scratch, scratch.count, 0) > 0 {}
                return
            }
        }
    }

    /// One request over a fresh upstream connection; the raw response bytes.
    private func roundTrip(_ request: [UInt8]) -> [UInt8]? {
        let up = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(up) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(upstreamPort).bigEndian)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(up, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0, writeAll(up, request) else { return nil }
        var buffer: [UInt8] = []
        return readMessage(up, &buffer, isResponse: true)
    }

    /// Reads one message (head + Content-Length body) from `fd`.
    private func readMessage(_ fd: Int32, _ buffer: inout [UInt8], isResponse: Bool) -> [UInt8]? {
        var headEnd: Int?
        while true {
            if headEnd == nil, let i = find(buffer, [13, 10, 13, 10]) { headEnd = i + 4 }
            if let end = headEnd {
                let head = String(decoding: buffer[0..<end], as: UTF8.self).lowercased()
                var length = 0
                if let range = head.range(of: "content-length:") {
                    // ("\r\n" is one Character in Swift: stop at any newline)
                    let rest = head[range.upperBound...].prefix { !$0.isNewline }
                    length = Int(rest.trimmingCharacters(in: .whitespaces)) ?? 0
                }
                if buffer.count >= end + length {
                    let message = Array(buffer[0..<(end + length)])
                    buffer.removeFirst(end + length)
                    return message
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            buffer += chunk[0..<n]
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
