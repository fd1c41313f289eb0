import Glibc

/// One client connection, confined to its loop's thread. It drives the parser with received
/// bytes, has at most one request in flight (pipelined requests wait in `inbound` until the
/// previous response is written, so responses are trivially in order) and writes responses.
///
/// Lifecycle: reading → awaitingResponse (handler running) → writing → reading (keep-alive) or
/// lingering (half-closed after a final response, draining the peer) → closed.
final class Connection {
    enum State {
        case reading
        case awaitingResponse
        case writing
        case lingering
        case closed
    }

    enum DeadlineKind {
        case none, idle, header, body, write, halfClosed, linger
    }

    /// What the response to the in-flight request needs to know.
    struct Exchange {
        var slot: ResponseSlot?
        var requestID: String
        var isHead: Bool
        var keepAlive: Bool
        var announceKeepAlive: Bool
    }

    let fd: Int32
    let token: UInt64
    unowned let loop: EventLoop
    var parser: HTTPRequestParser
    var state = State.reading
    var deadline: Double
    var deadlineKind = DeadlineKind.idle
    private(set) var interest = Epoll.EPOLLIN | Epoll.EPOLLRDHUP
    var wantRead = true
    var wantWrite = false

    var inbound: [UInt8] = []
    var inboundStart = 0
    var outbound: [UInt8] = []
    var outboundOffset = 0
    var outboundIsInterim = false

    var sequence = 0
    var exchange: Exchange?
    var inHandler = false
    var synchronousResponse: HTTPResponse?
    var closeAfterWrite = false
    var readClosed = false
    var lingerBytes = 0
    lazy var remoteAddress = SocketAddress.peer(of: fd)

    init(fd: Int32, token: UInt64, loop: EventLoop) {
        self.fd = fd
        self.token = token
        self.loop = loop
        self.parser = HTTPRequestParser(limits: loop.context.limits)
        self.deadline = loop.now + loop.context.configuration.idleTimeout
    }

    var configuration: HTTPServerConfiguration { loop.context.configuration }

    var buffered: Int { inbound.count - inboundStart }

    func handle(events: UInt32) {
        if events & (Epoll.EPOLLERR | Epoll.EPOLLHUP) != 0 {
            close()
            return
        }
        if events & Epoll.EPOLLOUT != 0 {
            flush()
        }
        if events & (Epoll.EPOLLIN | Epoll.EPOLLRDHUP) != 0 && state != .closed {
            readable()
        }
    }

    func setDeadline(_ kind: DeadlineKind) {
        deadlineKind = kind
        let seconds: Double
        switch kind {
        case .none: deadline = .infinity; return
        case .idle: seconds = configuration.idleTimeout
        case .header: seconds = configuration.headerTimeout
        case .body: seconds = configuration.bodyTimeout
        case .write, .halfClosed: seconds = configuration.writeTimeout
        case .linger: seconds = min(2, configuration.writeTimeout)
        }
        deadline = loop.now + seconds
    }

    func updateInterest() {
        let wanted = (wantRead ? Epoll.EPOLLIN | Epoll.EPOLLRDHUP : 0) | (wantWrite ? Epoll.EPOLLOUT : 0)
        guard wanted != interest, state != .closed else { return }
        interest = wanted
        loop.updateInterest(fd: fd, token: token, events: wanted)
    }

    /// Releases everything; safe to call twice. A pending handler's responder becomes a no-op.
    func close() {
        guard state != .closed else { return }
        state = .closed
        exchange?.slot?.markClosed()
        exchange = nil
        // Closing the descriptor also removes it from the epoll set.
        Syscall.close(fd)
        loop.connectionClosed(token)
    }

    /// Graceful shutdown: a connection between requests is closed now; others finish first.
    func closeIfIdle() {
        if state == .reading && parser.isIdle && buffered == 0 && outbound.isEmpty {
            close()
        }
    }

    func deadlineExpired() {
        switch deadlineKind {
        case .header, .body:
            if state == .reading {
                loop.context.logger.debug("request timed out", metadata: ["http.remote": "\(remoteAddress)"])
                respondAndClose(HTTPResponse.error(
                    status: 408, code: "REQUEST_TIMEOUT", message: "request not received in time",
                    requestID: startExchange()
                ))
            } else {
                close()
            }
        case .none:
            break
        case .idle, .write, .halfClosed, .linger:
            close()
        }
    }
}
