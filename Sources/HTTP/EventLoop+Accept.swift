import Glibc

extension EventLoop {
    /// Accepts a bounded batch (so one loop cannot starve its connections under a connect flood).
    /// Every loop watches the listener with EPOLLEXCLUSIVE; losers of a race just see EAGAIN.
    func acceptConnections() {
        guard listening else { return }
        for _ in 0..<64 {
            let fd: Int32
            do throws(SyscallError) {
                switch try Syscall.accept(context.listenFD) {
                case .wouldBlock: return
                case .processed(let accepted): fd = accepted
                }
            } catch {
                switch error.errno {
                case EMFILE, ENFILE:
                    shedWithReserveDescriptor()
                    return
                case ECONNABORTED, EPROTO, EPERM:
                    continue
                default:
                    context.logger.warning("accept failed", metadata: ["http.error": "\(error)"])
                    return
                }
            }
            adopt(fd)
        }
    }

    private func adopt(_ fd: Int32) {
        let count = context.connectionCount.add(1, ordering: .relaxed).newValue
        if count > context.configuration.maxConnections || shuttingDown {
            context.connectionCount.subtract(1, ordering: .relaxed)
            refuse(fd)
            return
        }
        do throws(SyscallError) {
            try Syscall.setNonBlocking(fd)
            try Syscall.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let token = nextToken
            nextToken += 1
            let connection = Connection(fd: fd, token: token, loop: self)
            try Epoll.control(epfd, Epoll.ctlAdd, fd, events: connection.interest, data: token)
            connections[token] = connection
        } catch {
            context.connectionCount.subtract(1, ordering: .relaxed)
            Syscall.close(fd)
        }
    }

    /// Over capacity: a best-effort 503 (non-blocking, never retried) and close.
    private func refuse(_ fd: Int32) {
        var bytes: [UInt8] = []
        let response = HTTPResponse.error(
            status: 503, code: "SERVICE_UNAVAILABLE", message: "server is at its connection limit",
            headers: ["Retry-After": "1"]
        )
        let writerContext = ResponseWriter.Context(
            requestID: requestIDs.next(), isHead: false, close: true, announceKeepAlive: false, date: date.current()
        )
        ResponseWriter.write(response, writerContext, into: &bytes)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        Syscall.close(fd)
    }

    private func shedWithReserveDescriptor() {
        context.logger.warning("out of file descriptors; shedding a connection")
        guard reserveFD >= 0 else { return }
        Syscall.close(reserveFD)
        if case .processed(let fd)? = try? Syscall.accept(context.listenFD) {
            refuse(fd)
        }
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
    }
}
