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

    /// Admits an accepted connection and gives it to the least-loaded loop (this one on a tie).
    /// Without this, the loop that wins the accept race takes a whole burst of connections —
    /// measured: all 128 of `wrk -c128` on one of two loops, the other thread idle.
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
        } catch {
            context.connectionCount.subtract(1, ordering: .relaxed)
            Syscall.close(fd)
            return
        }
        var target = self
        var lowest = load.load(ordering: .relaxed)
        for peer in peers where peer !== self {
            let peerLoad = peer.load.load(ordering: .relaxed)
            if peerLoad < lowest {
                target = peer
                lowest = peerLoad
            }
        }
        target.load.add(1, ordering: .relaxed)
        if target === self {
            register(fd)
        } else if !target.post(.adopt(fd: fd)) {
            // That loop has exited (shutdown): keep the connection here.
            target.load.subtract(1, ordering: .relaxed)
            load.add(1, ordering: .relaxed)
            register(fd)
        }
    }

    /// Takes ownership of an admitted connection (counted in `load` and `connectionCount`).
    func register(_ fd: Int32) {
        let token = nextToken
        nextToken += 1
        let connection = Connection(fd: fd, token: token, loop: self)
        do throws(SyscallError) {
            try Epoll.control(epfd, Epoll.ctlAdd, fd, events: connection.interest, data: token)
            connections[token] = connection
        } catch {
            dropHandedOver(fd)
        }
    }

    /// Closes an admitted connection this loop cannot serve (shutting down, epoll failure).
    func dropHandedOver(_ fd: Int32) {
        load.subtract(1, ordering: .relaxed)
        context.connectionCount.subtract(1, ordering: .relaxed)
        Syscall.close(fd)
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
