import Foundation

import Glibc

/// Monotonic seconds, for deadlines that wall-clock jumps cannot stretch or cut.
enum Monotonic {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// One client TCP connection in non-blocking mode; every wait is a `poll` bounded by a deadline,
/// so no call can hang past its timeout. Owned by one caller at a time (not thread-safe).
final class HTTPSocket {
    private var fd: Int32
    /// Monotonic time it last finished an exchange (for the idle-age limit).
    var lastUsed: Double
    /// What the socket is connected to (host:port), for messages.
    let peer: String

    private init(fd: Int32, peer: String) {
        self.fd = fd
        self.peer = peer
        self.lastUsed = Monotonic.now()
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            _ = systemClose(fd)
            fd = -1
        }
    }

    /// Opens a connection to the first address of `host` that accepts within the deadline.
    /// Failures here are `requestNotSent`: nothing can have reached the server.
    static func connect(host: String, port: Int, deadline: Double) throws(AsyncGateError) -> HTTPSocket {
        let peer = "\(host):\(port)"
        func failure(_ message: String, timeout: Bool = false) -> AsyncGateError {
            AsyncGateError(code: timeout ? .timeout : .connectionFailed, message: message, requestNotSent: true)
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw failure("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address for \(host)"
        var timedOut = false
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { lastError = "socket(): \(errnoText())"; continue }
            var result = Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            if result != 0 && errno == EINPROGRESS {
                switch waitFor(fd, events: Int16(POLLOUT), deadline: deadline) {
                case .ready:
                    var soError: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
                    if soError == 0 { result = 0 } else { errno = soError }
                case .timedOut:
                    timedOut = true
                    errno = ETIMEDOUT
                case .failed:
                    break
                }
            }
            if result == 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return HTTPSocket(fd: fd, peer: peer)
            }
            lastError = "connect to \(peer): \(errnoText())"
            _ = systemClose(fd)
            if timedOut { break }
        }
        throw failure(lastError, timeout: timedOut)
    }

    /// Whether an idle connection can no longer be used: the server closed it (EOF is readable) or
    /// sent something unasked.
    var isStale: Bool {
        guard fd >= 0 else { return true }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let n = poll(&p, 1, 0)
        return n != 0
    }

    func write(_ bytes: [UInt8], deadline: Double) throws(AsyncGateError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                switch Self.waitFor(fd, events: Int16(POLLOUT), deadline: deadline) {
                case .ready: continue
                case .timedOut: throw AsyncGateError(code: .timeout, message: "timed out sending the request to \(peer)")
                case .failed: break
                }
            }
            throw AsyncGateError(code: .connectionFailed, message: "sending to \(peer) failed: \(Self.errnoText())")
        }
    }

    /// Reads until `parser` has a complete response. A clean EOF is handed to the parser, which
    /// decides whether it ended the response (close-delimited body) or broke it.
    func readResponse(into parser: inout HTTPResponseParser, deadline: Double) throws(AsyncGateError) -> HTTPClientResponse {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            var eof = false
            if n > 0 {
                chunk.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            } else if n == 0 {
                eof = true
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                switch Self.waitFor(fd, events: Int16(POLLIN), deadline: deadline) {
                case .ready: continue
                case .timedOut: throw AsyncGateError(code: .timeout, message: "timed out waiting for the response from \(peer)")
                case .failed: throw AsyncGateError(code: .connectionFailed, message: "reading from \(peer) failed: \(Self.errnoText())")
                }
            } else {
                throw AsyncGateError(code: .connectionFailed, message: "reading from \(peer) failed: \(Self.errnoText())")
            }
            do {
                if let response = try parser.parse(eof: eof) { return response }
            } catch {
                let code: AsyncGateError.Code = error.tooLarge ? .responseTooLarge : eof ? .connectionFailed : .invalidResponse
                throw AsyncGateError(code: code, message: "\(peer): \(error.reason)")
            }
        }
    }

    enum WaitResult { case ready, timedOut, failed }

    static func waitFor(_ fd: Int32, events: Int16, deadline: Double) -> WaitResult {
        while true {
            let remaining = deadline - Monotonic.now()
            if remaining <= 0 { return .timedOut }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(min(remaining * 1000, 60_000).rounded(.up)))
            if n > 0 { return .ready }  // POLLERR/POLLHUP too: the next call reports the error
            if n == 0 { continue }
            if errno == EINTR { continue }
            return .failed
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func systemClose(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    private func systemClose(_ fd: Int32) -> Int32 { Self.systemClose(fd) }
}
