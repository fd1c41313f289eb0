import Dispatch
import Foundation
import Glibc
import Logging
import Synchronization

/// A hand-written HTTP/1.1 server: `ioThreads` epoll loops share one listening socket (EPOLLEXCLUSIVE
/// wakes one of them per connection); the loop that accepts hands the connection to the least
/// loaded loop, which serves it from then on.
/// The handler runs on the I/O thread and must not block; it may respond from any thread.
public final class HTTPServer: Sendable {
    private enum Phase {
        case idle
        case running(ServerContext, [EventLoop], port: Int)
        case stopping(port: Int)
        case stopped(port: Int)
    }

    private let configuration: HTTPServerConfiguration
    private let logger: Logger
    private let handler: HTTPHandler
    private let phase = Mutex<Phase>(.idle)
    private let stoppedGroup = DispatchGroup()

    public init(configuration: HTTPServerConfiguration, logger: Logger, handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    /// Binds, listens and starts the I/O threads; returns once connections are being accepted.
    /// Throws `HTTPServerError` (e.g. "address 127.0.0.1:8080 is already in use").
    public func start() throws {
        try phase.withLock { phase throws(HTTPServerError) in
            guard case .idle = phase else { throw HTTPServerError("server already started") }
            let descriptorLimit = FileDescriptorLimit.raiseToHardLimit()
            let (fd, port) = try Listener.open(host: configuration.host, port: configuration.port)
            let threads = max(1, configuration.ioThreads)
            let context = ServerContext(configuration: configuration, handler: handler, logger: logger, listenFD: fd, loops: threads)
            var loops: [EventLoop] = []
            do throws(SyscallError) {
                for index in 0..<threads {
                    loops.append(try EventLoop(index: index, context: context))
                }
            } catch {
                Syscall.close(fd)
                throw HTTPServerError("cannot create event loop: \(error)")
            }
            // Before the threads start, so each loop reads its peers without further synchronisation.
            for loop in loops { loop.peers = loops }
            for loop in loops {
                stoppedGroup.enter()
                let thread = Thread { [stoppedGroup] in
                    loop.run()
                    stoppedGroup.leave()
                }
                thread.name = "http-io-\(loop.index)"
                thread.start()
            }
            phase = .running(context, loops, port: port)
            logger.info("HTTP server listening", metadata: [
                "http.address": "\(configuration.host):\(port)", "http.io_threads": "\(threads)",
                "http.fd_limit": "\(descriptorLimit)",
            ])
        }
    }

    /// The bound port (useful with `port: 0`); 0 before `start()`.
    public var localPort: Int {
        phase.withLock { phase in
            switch phase {
            case .idle: return 0
            case .running(_, _, let port), .stopping(let port), .stopped(let port): return port
            }
        }
    }

    /// Connections currently open (for tests and metrics).
    public var openConnections: Int {
        phase.withLock { phase in
            if case .running(let context, _, _) = phase { return context.connectionCount.load(ordering: .relaxed) }
            return 0
        }
    }

    /// Connections per I/O loop (how evenly they are spread), for tests.
    var connectionsPerLoop: [Int] {
        phase.withLock { phase in
            if case .running(_, let loops, _) = phase { return loops.map { $0.load.load(ordering: .relaxed) } }
            return []
        }
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish for up to
    /// `shutdownGracePeriod` seconds, then closes everything. Returns immediately; see
    /// `waitUntilStopped()`.
    public func shutdown() {
        let loops: [EventLoop] = phase.withLock { phase in
            switch phase {
            case .idle:
                phase = .stopped(port: 0)
                return []
            case .running(_, let loops, let port):
                phase = .stopping(port: port)
                return loops
            case .stopping, .stopped:
                return []
            }
        }
        guard !loops.isEmpty else { return }
        logger.info("HTTP server shutting down", metadata: ["http.grace_seconds": "\(configuration.shutdownGracePeriod)"])
        let deadline = MonotonicClock.now() + configuration.shutdownGracePeriod
        for loop in loops { loop.post(.shutdown(deadline: deadline)) }
        stoppedGroup.notify(queue: .global()) { [self] in
            self.phase.withLock { phase in
                if case .stopping(let port) = phase { phase = .stopped(port: port) }
            }
        }
    }

    /// Blocks until every I/O thread has finished after `shutdown()` (immediately if never started).
    public func waitUntilStopped() {
        stoppedGroup.wait()
    }

    /// `waitUntilStopped()` for at most `seconds`; false if the I/O threads are still running.
    public func waitUntilStopped(seconds: Double) -> Bool {
        stoppedGroup.wait(timeout: .now() + seconds) == .success
    }
}
