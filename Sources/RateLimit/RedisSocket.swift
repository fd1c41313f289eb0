import Glibc

/// A non-blocking TCP socket whose every operation honours an absolute deadline (monotonic seconds),
/// so one check can never hang on a slow, silent or half-dead Redis. Owned by one thread at a time.
final class RedisSocket {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close() }

    /// Resolves `host` (blocking: getaddrinfo has no timeout, which is why URLs should name an IP or a
    /// name the local resolver answers quickly) and connects to the first address that accepts.
    static func connect(host: String, port: UInt16, deadline: Double) throws(RateLimitError) -> RedisSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw RateLimitError(.connectionFailed, "cannot resolve Redis host: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastError = RateLimitError(.connectionFailed, "no address to connect to")
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            current = info.pointee.ai_next
            do {
                return try connect(to: info.pointee, deadline: deadline)
            } catch {
                lastError = error
                if error.code == .timedOut { break }
            }
        }
        throw lastError
    }

    private static func connect(to info: addrinfo, deadline: Double) throws(RateLimitError) -> RedisSocket {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(info.ai_family, type, 0)
        guard fd >= 0 else { throw Self.failure("socket") }
        let socket = RedisSocket(fd: fd)
        var one: Int32 = 1
        // Requests and replies are single small messages: don't let Nagle hold them back.
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var result: Int32
        repeat { result = Glibc.connect(fd, info.ai_addr, info.ai_addrlen) } while result < 0 && errno == EINTR
        if result < 0 {
            guard errno == EINPROGRESS else { throw Self.failure("connect") }
            try socket.wait(for: Int16(POLLOUT), deadline: deadline)
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) == 0 else { throw Self.failure("getsockopt") }
            guard soError == 0 else { throw Self.failure("connect", errno: soError) }
        }
        return socket
    }

    func write(_ bytes: [UInt8], deadline: Double) throws(RateLimitError) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a peer that went away must surface as EPIPE here, not kill the process.
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent >= 0 { offset += sent; continue }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLOUT), deadline: deadline)
            default: throw Self.failure("send")
            }
        }
    }

    /// Appends at least one byte to `buffer`, or throws (closed, failed, deadline passed).
    func read(into buffer: inout [UInt8], deadline: Double) throws(RateLimitError) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let received = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress!, $0.count, 0) }
            if received > 0 {
                buffer.append(contentsOf: chunk[0..<received])
                return
            }
            if received == 0 { throw RateLimitError(.connectionFailed, "Redis closed the connection") }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN), deadline: deadline)
            default: throw Self.failure("recv")
            }
        }
    }

    func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    private func wait(for events: Int16, deadline: Double) throws(RateLimitError) {
        while true {
            let remaining = deadline - MonotonicClock.now()
            guard remaining > 0 else { throw RateLimitError(.timedOut, "Redis did not answer in time") }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ms = Int32(min((remaining * 1000).rounded(.up), 60_000))
            let ready = Glibc.poll(&pfd, 1, max(1, ms))
            if ready > 0 { return }  // readable/writable, or an error the next syscall will report
            if ready < 0, errno != EINTR { throw Self.failure("poll") }
        }
    }

    private static func failure(_ call: String, errno code: Int32 = errno) -> RateLimitError {
        RateLimitError(.connectionFailed, "\(call): \(String(cString: strerror(code)))")
    }
}
