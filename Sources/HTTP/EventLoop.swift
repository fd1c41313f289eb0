import Glibc
import Logging
import Synchronization

/// One I/O thread: an epoll loop (level-triggered) over the listening socket and its own
/// connections. Connections are confined to this thread; other threads talk to it only through
/// `inbox` + the eventfd wake-up, which is why the class can be `@unchecked Sendable`.
final class EventLoop: @unchecked Sendable {
    enum Message {
        case response(connection: UInt64, sequence: Int, HTTPResponse)
        case shutdown(deadline: Double)
        /// A connection another loop accepted and hands over (see `acceptConnections`).
        case adopt(fd: Int32)
    }

    static let listenerToken: UInt64 = 0
    static let wakeToken: UInt64 = 1
    static let readChunk = 64 * 1024
    static let eventCapacity = 256

    let index: Int
    let context: ServerContext
    let epfd: Int32
    let wakeFD: Int32
    /// Messages from other threads; nil once the loop has exited and takes no more.
    private let inbox = Mutex<[Message]?>([])
    private let thread = Mutex<pthread_t?>(nil)
    /// Connections this loop owns or is being handed; what accepting loops balance on.
    let load = Atomic<Int>(0)
    /// Every loop of the server, this one included; set before the threads start, cleared when
    /// this loop exits (the loops refer to each other).
    var peers: [EventLoop] = []

    // Loop-confined state.
    var connections: [UInt64: Connection] = [:]
    var nextToken: UInt64 = 2
    let scratch: UnsafeMutableRawPointer
    private let events: Epoll.Events
    var date = HTTPDate()
    var requestIDs = RequestIDGenerator()
    var now = MonotonicClock.now()
    private(set) var shuttingDown = false
    private var shutdownDeadline = Double.infinity
    var listening = true
    private var nextScan = 0.0
    private let scanInterval: Double
    /// One spare descriptor, released to accept-and-close when the process is out of descriptors
    /// (otherwise the listener stays readable and the loop spins).
    var reserveFD: Int32 = -1

    init(index: Int, context: ServerContext) throws(SyscallError) {
        self.index = index
        self.context = context
        epfd = try Epoll.create()
        wakeFD = try Epoll.eventfd()
        scratch = .allocate(byteCount: Self.readChunk, alignment: 16)
        events = Epoll.allocateEvents(capacity: Self.eventCapacity)
        let configuration = context.configuration
        let shortest = min(configuration.headerTimeout, configuration.bodyTimeout, configuration.idleTimeout, configuration.writeTimeout)
        scanInterval = max(0.01, min(0.5, shortest / 4))
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        try Epoll.control(epfd, Epoll.ctlAdd, wakeFD, events: Epoll.EPOLLIN, data: Self.wakeToken)
        try Epoll.control(epfd, Epoll.ctlAdd, context.listenFD, events: Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE, data: Self.listenerToken)
    }

    deinit {
        scratch.deallocate()
        events.deallocate()
    }

    var isOnLoopThread: Bool {
        guard let owner = thread.withLock({ $0 }) else { return false }
        return pthread_equal(owner, pthread_self()) != 0
    }

    /// Queues a message from any thread and wakes the loop; false if the loop has exited.
    @discardableResult
    func post(_ message: Message) -> Bool {
        // The wake-up is written under the inbox lock: the loop, on exit, empties the inbox under
        // that lock (queue = nil) before it closes wakeFD, so a poster can never write to a
        // descriptor that was closed meanwhile — and reused, e.g. by a libpq socket, whose stream
        // those 8 bytes would corrupt.
        inbox.withLock { queue in
            guard queue != nil else { return false }
            queue!.append(message)
            if queue!.count == 1 {
                var one: UInt64 = 1
                _ = write(wakeFD, &one, 8)
            }
            return true
        }
    }

    /// Hands a response to its connection: directly when already on this loop, else via the inbox.
    func deliver(connection: UInt64, sequence: Int, _ response: HTTPResponse) {
        if isOnLoopThread {
            connections[connection]?.receive(response, sequence: sequence)
        } else {
            post(.response(connection: connection, sequence: sequence, response))
        }
    }

    func run() {
        thread.withLock { $0 = pthread_self() }
        while !(shuttingDown && connections.isEmpty) {
            let timeout = max(0, min(nextScan, shutdownDeadline) - MonotonicClock.now())
            let count = Epoll.wait(epfd, events, timeoutMilliseconds: Int32(timeout * 1000) + 1)
            now = MonotonicClock.now()
            for position in 0..<count {
                let (flags, token) = Epoll.event(events, at: position)
                switch token {
                case Self.listenerToken: acceptConnections()
                case Self.wakeToken: drainInbox()
                default: connections[token]?.handle(events: flags)
                }
            }
            if now >= nextScan {
                expireDeadlines()
                nextScan = now + scanInterval
            }
            if now >= shutdownDeadline {
                for connection in Array(connections.values) { connection.close() }
            }
        }
        stopListening()
        // Refuse further messages; a connection handed over meanwhile is closed, not leaked.
        let leftover = inbox.withLock { queue in
            let taken = queue ?? []
            queue = nil
            return taken
        }
        for case .adopt(let fd) in leftover { dropHandedOver(fd) }
        peers = []
        Syscall.close(epfd)
        Syscall.close(wakeFD)
        if reserveFD >= 0 { Syscall.close(reserveFD) }
    }

    private func drainInbox() {
        var counter: UInt64 = 0
        _ = read(wakeFD, &counter, 8)
        let messages = inbox.withLock { queue in
            let taken = queue ?? []
            queue?.removeAll()
            return taken
        }
        for message in messages {
            switch message {
            case .response(let token, let sequence, let response):
                connections[token]?.receive(response, sequence: sequence)
            case .shutdown(let deadline):
                beginShutdown(deadline: deadline)
            case .adopt(let fd):
                if shuttingDown { dropHandedOver(fd) } else { register(fd) }
            }
        }
    }

    private func beginShutdown(deadline: Double) {
        guard !shuttingDown else { return }
        shuttingDown = true
        shutdownDeadline = deadline
        stopListening()
        for connection in Array(connections.values) { connection.closeIfIdle() }
    }

    private func stopListening() {
        guard listening else { return }
        listening = false
        try? Epoll.control(epfd, Epoll.ctlDel, context.listenFD, events: 0, data: 0)
        context.releaseListener()
    }

    private func expireDeadlines() {
        var expired: [Connection] = []
        for connection in connections.values where connection.deadline <= now {
            expired.append(connection)
        }
        for connection in expired { connection.deadlineExpired() }
    }

    func connectionClosed(_ token: UInt64) {
        if connections.removeValue(forKey: token) != nil {
            context.connectionCount.subtract(1, ordering: .relaxed)
            load.subtract(1, ordering: .relaxed)
        }
    }

    func updateInterest(fd: Int32, token: UInt64, events: UInt32) {
        try? Epoll.control(epfd, Epoll.ctlMod, fd, events: events, data: token)
    }
}
