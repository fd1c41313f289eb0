import Glibc

extension Connection {
    /// A response from the handler (any thread, routed through the loop).
    func receive(_ response: HTTPResponse, sequence: Int) {
        guard state == .awaitingResponse, sequence == self.sequence, exchange?.slot != nil else { return }
        if inHandler {
            synchronousResponse = response
        } else {
            startResponse(response)
        }
    }

    func respondAndClose(_ response: HTTPResponse) {
        exchange?.keepAlive = false
        startResponse(response)
    }

    func startResponse(_ response: HTTPResponse) {
        guard let exchange else { return }
        closeAfterWrite = !exchange.keepAlive || readClosed || loop.shuttingDown
            || ResponseWriter.handlerRequestsClose(response)
        let context = ResponseWriter.Context(
            requestID: exchange.requestID, isHead: exchange.isHead, close: closeAfterWrite,
            announceKeepAlive: exchange.announceKeepAlive && !closeAfterWrite, date: loop.date.current()
        )
        ResponseWriter.write(response, context, into: &outbound)
        outboundIsInterim = false
        state = .writing
        setDeadline(.write)
        flush()
    }

    /// `100 Continue` while still reading the request.
    func sendInterim(_ bytes: [UInt8]) {
        outboundIsInterim = outbound.isEmpty
        outbound.append(contentsOf: bytes)
        flush()
    }

    /// Writes as much as the socket takes; waits for EPOLLOUT for the rest.
    func flush() {
        while outboundOffset < outbound.count {
            let attempt = outbound.withUnsafeBytes { raw in
                Result { () throws(SyscallError) in
                    try Syscall.send(fd, raw.baseAddress! + outboundOffset, raw.count - outboundOffset)
                }
            }
            guard case .success(let result) = attempt else {
                close()
                return
            }
            switch result {
            case .processed(let count):
                outboundOffset += count
            case .wouldBlock:
                if !wantWrite {
                    wantWrite = true
                    updateInterest()
                }
                return
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 16 * 1024)
        outboundOffset = 0
        if wantWrite {
            wantWrite = false
            updateInterest()
        }
        if outboundIsInterim {
            outboundIsInterim = false
        } else if state == .writing {
            responseWritten()
        }
    }

    private func responseWritten() {
        exchange = nil
        if closeAfterWrite || loop.shuttingDown || readClosed {
            lingeringClose()
            return
        }
        state = .reading
        setDeadline(.idle)
        if !wantRead {
            wantRead = true
            updateInterest()
        }
        processInput()
    }

    private func lingeringClose() {
        if readClosed {
            close()
            return
        }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        state = .lingering
        inbound = []
        inboundStart = 0
        setDeadline(.linger)
        if !wantRead {
            wantRead = true
            updateInterest()
        }
    }
}
