import Glibc

/// epoll and eventfd, which the Swift Glibc module does not export. They are resolved once with
/// dlsym and called through C function pointers; constants are the stable Linux ABI values.
/// (A one-header C target would be the alternative; it needs a Package.swift change.)
enum Epoll {
    static let EPOLLIN: UInt32 = 0x001
    static let EPOLLOUT: UInt32 = 0x004
    static let EPOLLERR: UInt32 = 0x008
    static let EPOLLHUP: UInt32 = 0x010
    static let EPOLLRDHUP: UInt32 = 0x2000
    static let EPOLLEXCLUSIVE: UInt32 = 1 << 28
    static let ctlAdd: Int32 = 1
    static let ctlDel: Int32 = 2
    static let ctlMod: Int32 = 3
    static let cloexec: Int32 = 0o2000000
    static let eventfdNonBlock: Int32 = 0o4000

    /// `struct epoll_event` is packed (12 bytes) on x86_64 and naturally aligned (16) elsewhere.
    #if arch(x86_64)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    private typealias Create1 = @convention(c) (Int32) -> Int32
    private typealias Ctl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    private typealias EventFD = @convention(c) (UInt32, Int32) -> Int32

    private struct Functions: @unchecked Sendable {
        let create1: Create1
        let ctl: Ctl
        let wait: Wait
        let eventfd: EventFD
    }

    private static let functions: Functions = {
        let handle = dlopen(nil, RTLD_NOW)
        func resolve<F>(_ name: String, as type: F.Type) -> F {
            guard let symbol = dlsym(handle, name) else { fatalError("libc has no \(name)") }
            return unsafeBitCast(symbol, to: type)
        }
        return Functions(
            create1: resolve("epoll_create1", as: Create1.self),
            ctl: resolve("epoll_ctl", as: Ctl.self),
            wait: resolve("epoll_wait", as: Wait.self),
            eventfd: resolve("eventfd", as: EventFD.self)
        )
    }()

    static func create() throws(SyscallError) -> Int32 {
        try Syscall.blocking("epoll_create1") { functions.create1(cloexec) }
    }

    static func eventfd() throws(SyscallError) -> Int32 {
        try Syscall.blocking("eventfd") { functions.eventfd(0, eventfdNonBlock | cloexec) }
    }

    static func control(_ epfd: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, data: UInt64) throws(SyscallError) {
        var storage: (UInt64, UInt64) = (0, 0)
        try withUnsafeMutableBytes(of: &storage) { (raw) throws(SyscallError) in
            raw.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: data, toByteOffset: dataOffset, as: UInt64.self)
            _ = try Syscall.blocking("epoll_ctl") { functions.ctl(epfd, operation, fd, raw.baseAddress) }
        }
    }

    static func wait(_ epfd: Int32, _ events: UnsafeMutableRawPointer, capacity: Int, timeoutMilliseconds: Int32) -> Int {
        while true {
            let result = functions.wait(epfd, events, Int32(capacity), timeoutMilliseconds)
            if result >= 0 { return Int(result) }
            if Glibc.errno == EINTR { return 0 }
            fatalError("epoll_wait failed: \(Glibc.errno)")
        }
    }

    static func event(_ events: UnsafeMutableRawPointer, at index: Int) -> (events: UInt32, data: UInt64) {
        let base = events + index * eventSize
        return (base.loadUnaligned(as: UInt32.self), base.loadUnaligned(fromByteOffset: dataOffset, as: UInt64.self))
    }
}
