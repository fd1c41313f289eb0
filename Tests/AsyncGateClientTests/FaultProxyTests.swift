import Foundation
import Glibc
import Testing

/// The fault proxy shares the test process with every other suite, so it must close each of its
/// descriptors exactly once: a second close(2) of a number the kernel has meanwhile handed to another
/// test's socket (a libpq connection, say) breaks that test with EBADF. CI once failed that way.
@Suite struct FaultProxyTests {
    @Test func closingTwiceLeavesOtherDescriptorsAlone() throws {
        var proxy: FaultProxy? = try FaultProxy(upstreamPort: Support.closedPort(), script: [])
        weak let watched = proxy
        let port = try #require(proxy?.port)
        proxy?.close()
        // Once the proxy stops listening its descriptor number is free; a new socket likely reuses it.
        let deadline = Date().addingTimeInterval(5)
        while canConnect(port: port), Date() < deadline { usleep(5_000) }
        let bystander = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(bystander >= 0)
        defer { close(bystander) }
        // Dropping the last reference runs `deinit`, which calls `close()` a second time.
        proxy = nil
        while watched != nil, Date() < deadline { usleep(5_000) }
        #expect(watched == nil, "the proxy's threads should have let go of it")
        #expect(fcntl(bystander, F_GETFD) != -1, "a descriptor opened after close() was closed by the proxy")
    }

    private func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
