import Glibc
import Testing
@testable import HTTP

/// The epoll wrapper must carry the full 64-bit token through the kernel: with a hand-written
/// `epoll_event` layout it was wrong on arm64 (16 bytes, data at offset 8, not x86_64's packed 12).
@Suite("Epoll")
struct EpollTests {
    @Test("a registered descriptor comes back with its 64-bit token and event bits")
    func tokenRoundTrip() throws {
        let epfd = try Epoll.create()
        let wake = try Epoll.eventfd()
        defer {
            close(wake)
            close(epfd)
        }
        let token: UInt64 = 0xDEAD_BEEF_1234_5678
        try Epoll.control(epfd, Epoll.ctlAdd, wake, events: Epoll.EPOLLIN, data: token)
        let events = Epoll.allocateEvents(capacity: 4)
        defer { events.deallocate() }
        #expect(Epoll.wait(epfd, events, timeoutMilliseconds: 0) == 0)

        var one: UInt64 = 1
        #expect(write(wake, &one, 8) == 8)
        #expect(Epoll.wait(epfd, events, timeoutMilliseconds: 1000) == 1)
        let (flags, data) = Epoll.event(events, at: 0)
        #expect(data == token)
        #expect(flags & Epoll.EPOLLIN != 0)
        #expect(flags & Epoll.EPOLLOUT == 0)

        // EPOLL_CTL_MOD replaces the token; the eventfd is still readable (level-triggered).
        try Epoll.control(epfd, Epoll.ctlMod, wake, events: Epoll.EPOLLIN | Epoll.EPOLLOUT, data: 7)
        #expect(Epoll.wait(epfd, events, timeoutMilliseconds: 1000) == 1)
        #expect(Epoll.event(events, at: 0).data == 7)
        #expect(Epoll.event(events, at: 0).events & Epoll.EPOLLOUT != 0)
    }
}
