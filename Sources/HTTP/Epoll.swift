import CSystem
import Glibc

/// epoll and eventfd through the C headers (the Swift Glibc module does not export them). Going
/// through `struct epoll_event` as Clang lays it out keeps the layout right on every
/// architecture (packed, 12 bytes, on x86_64; naturally aligned, 16 bytes, on arm64).
enum Epoll {
    static let EPOLLIN = CSystem.EPOLLIN.rawValue
    static let EPOLLOUT = CSystem.EPOLLOUT.rawValue
    static let EPOLLERR = CSystem.EPOLLERR.rawValue
    static let EPOLLHUP = CSystem.EPOLLHUP.rawValue
    static let EPOLLRDHUP = CSystem.EPOLLRDHUP.rawValue
    static let EPOLLEXCLUSIVE = CSystem.EPOLLEXCLUSIVE.rawValue
    static let ctlAdd = EPOLL_CTL_ADD
    static let ctlDel = EPOLL_CTL_DEL
    static let ctlMod = EPOLL_CTL_MOD

    /// A buffer `epoll_wait` fills; owned by one loop.
    typealias Events = UnsafeMutableBufferPointer<epoll_event>

    static func create() throws(SyscallError) -> Int32 {
        try Syscall.blocking("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    }

    static func eventfd() throws(SyscallError) -> Int32 {
        try Syscall.blocking("eventfd") { CSystem.eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
    }

    static func control(_ epfd: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, data: UInt64) throws(SyscallError) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = data
        _ = try Syscall.blocking("epoll_ctl") { epoll_ctl(epfd, operation, fd, &event) }
    }

    static func allocateEvents(capacity: Int) -> Events {
        let events = Events.allocate(capacity: capacity)
        events.initialize(repeating: epoll_event())
        return events
    }

    /// Waits for events; an interrupted wait reports none. Any other failure is a bug (bad epfd or
    /// buffer), so it stops the process.
    static func wait(_ epfd: Int32, _ events: Events, timeoutMilliseconds: Int32) -> Int {
        let result = epoll_wait(epfd, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        if result >= 0 { return Int(result) }
        let error = Glibc.errno
        if error == EINTR { return 0 }
        fatalError("epoll_wait failed: \(error)")
    }

    @inline(__always)
    static func event(_ events: Events, at index: Int) -> (events: UInt32, data: UInt64) {
        let event = events[index]
        return (event.events, event.data.u64)
    }
}
