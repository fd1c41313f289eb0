import Glibc

/// A failed system call: the function name and errno.
struct SyscallError: Error, CustomStringConvertible {
    var function: String
    var errno: Int32

    var description: String { "\(function) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The outcome of a non-blocking call: done, or it would block (EAGAIN/EWOULDBLOCK).
enum IOResult<T> {
    case processed(T)
    case wouldBlock
}

/// Every system call of the server goes through here: EINTR is retried, EAGAIN becomes
/// `.wouldBlock`, and EBADF/EFAULT — which can only be a bug in this module — stop the process
/// loudly instead of being treated as a peer problem.
enum Syscall {
    @inline(__always)
    static func call<T: BinaryInteger>(_ function: StaticString, _ body: () -> T) throws(SyscallError) -> IOResult<T> {
        while true {
            let result = body()
            if result >= 0 { return .processed(result) }
            let error = Glibc.errno
            switch error {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                return .wouldBlock
            case EBADF, EFAULT:
                fatalError("\(function) failed with \(error): a file descriptor bug in the HTTP server")
            default:
                throw SyscallError(function: "\(function)", errno: error)
            }
        }
    }

    /// For calls that never block: an EAGAIN is reported as an error.
    @inline(__always)
    static func blocking<T: BinaryInteger>(_ function: StaticString, _ body: () -> T) throws(SyscallError) -> T {
        switch try call(function, body) {
        case .processed(let value): return value
        case .wouldBlock: throw SyscallError(function: "\(function)", errno: EAGAIN)
        }
    }

    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws(SyscallError) -> IOResult<Int> {
        try call("read") { Glibc.read(fd, buffer, count) }
    }

    static func send(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) throws(SyscallError) -> IOResult<Int> {
        // MSG_NOSIGNAL: a peer that went away must give EPIPE, not kill the process with SIGPIPE.
        try call("send") { Glibc.send(fd, buffer, count, Int32(MSG_NOSIGNAL)) }
    }

    static func accept(_ fd: Int32) throws(SyscallError) -> IOResult<Int32> {
        try call("accept") { Glibc.accept(fd, nil, nil) }
    }

    /// close(2) is not retried on EINTR: on Linux the descriptor is released regardless.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    static func setNonBlocking(_ fd: Int32) throws(SyscallError) {
        let flags = try blocking("fcntl") { fcntl(fd, F_GETFL) }
        _ = try blocking("fcntl") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        _ = try blocking("fcntl") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SyscallError) {
        var value = value
        _ = try blocking("setsockopt") {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}
