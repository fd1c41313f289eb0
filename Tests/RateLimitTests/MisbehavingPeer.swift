import Foundation
import Glibc
import Synchronization

/// A TCP listener that plays a broken Redis: for each connection it reads a request and answers with
/// fixed bytes (then closes), or never answers. Only for protocol robustness; real behaviour is tested
/// against a real redis-server.
final class MisbehavingPeer: Sendable {
    enum Behaviour: Sendable {
        case reply([UInt8])
        case silent
        case closeImmediately
    }

    let port: UInt16
    private let listener: Int32
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(_ behaviour: Behaviour) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw TestFailure("bind/listen failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        let thread = Thread { [self] in serve(behaviour) }
        thread.start()
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    func stop() {
        stopped.withLock { $0 = true }
        finished.wait()
        close(listener)
    }

    private var isStopped: Bool { stopped.withLock { $0 } }

    private func serve(_ behaviour: Behaviour) {
        var held: [Int32] = []
        defer {
            held.forEach { close($0) }
            finished.signal()
        }
        while !isStopped {
            guard waitReadable(listener) else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            switch behaviour {
            case .closeImmediately:
                close(client)
            case .silent:
                held.append(client)
            case .reply(let bytes):
                var request = [UInt8](repeating: 0, count: 65536)
                if waitReadable(client) { _ = recv(client, &request, request.count, 0) }
                _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
    }

    /// Polls in short slices so that `stop()` is noticed promptly.
    private func waitReadable(_ fd: Int32) -> Bool {
        for _ in 0..<20 where !isStopped {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 50) > 0 { return true }
        }
        return false
    }
}
