import Glibc

/// The listening socket: resolved, bound, listening, non-blocking.
enum Listener {
    static func open(host: String, port: Int, backlog: Int32 = 4096) throws(HTTPServerError) -> (fd: Int32, port: Int) {
        guard (0...65535).contains(port) else { throw HTTPServerError("invalid port \(port)") }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw HTTPServerError("cannot resolve host \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = HTTPServerError("no address for \(host)")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            do throws(HTTPServerError) {
                return try bindAndListen(info.pointee, host: host, port: port, backlog: backlog)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func bindAndListen(_ info: addrinfo, host: String, port: Int, backlog: Int32) throws(HTTPServerError) -> (fd: Int32, port: Int) {
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard fd >= 0 else { throw HTTPServerError("socket() failed: \(String(cString: strerror(errno)))") }
        do throws(SyscallError) {
            try Syscall.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            _ = try Syscall.blocking("bind") { bind(fd, info.ai_addr, info.ai_addrlen) }
            _ = try Syscall.blocking("listen") { listen(fd, backlog) }
            try Syscall.setNonBlocking(fd)
        } catch {
            Syscall.close(fd)
            if error.errno == EADDRINUSE {
                throw HTTPServerError("address \(host):\(port) is already in use")
            }
            throw HTTPServerError("cannot listen on \(host):\(port): \(error)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, SocketAddress.describe(storage).port)
    }
}

/// Text form of a socket address: `ip:port`, `[v6]:port`.
enum SocketAddress {
    static func describe(_ storage: sockaddr_storage) -> (text: String, port: Int) {
        var storage = storage
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
                    let port = Int(UInt16(bigEndian: address.pointee.sin_port))
                    return ("\(text(buffer)):\(port)", port)
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
                    let port = Int(UInt16(bigEndian: address.pointee.sin6_port))
                    return ("[\(text(buffer))]:\(port)", port)
                }
            }
        default:
            return ("unknown", 0)
        }
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func peer(of fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        return result == 0 ? describe(storage).text : "unknown"
    }
}
