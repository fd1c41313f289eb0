import Glibc

extension Connection {
    func readable() {
        if state == .lingering {
            drainWhileLingering()
            return
        }
        let result: IOResult<Int>
        do throws(SyscallError) {
            result = try Syscall.read(fd, loop.scratch, EventLoop.readChunk)
        } catch {
            close()
            return
        }
        guard case .processed(let count) = result else { return }
        if count == 0 {
            peerClosed()
            return
        }
        if inboundStart > 0 {
            inbound.removeFirst(inboundStart)
            inboundStart = 0
        }
        inbound.append(contentsOf: UnsafeRawBufferPointer(start: loop.scratch, count: count))
        if state == .reading {
            processInput()
        } else if buffered > loop.context.maxBufferedInput {
            // A client pipelining far ahead of its responses: stop reading until we catch up.
            wantRead = false
            updateInterest()
        }
    }

    /// Feeds buffered bytes to the parser until it needs more or a request is in flight.
    func processInput() {
        while state == .reading {
            let (consumed, event) = inbound.withUnsafeBytes { raw in
                parser.parse(UnsafeRawBufferPointer(rebasing: raw[inboundStart...]))
            }
            inboundStart += consumed
            if inboundStart == inbound.count {
                inbound.removeAll(keepingCapacity: inbound.capacity <= 16 * 1024)
                inboundStart = 0
            }
            switch event {
            case .needMore:
                if parser.isIdle && buffered == 0 {
                    if deadlineKind != .idle { setDeadline(.idle) }
                } else if deadlineKind == .idle {
                    // The first byte of a request starts the slowloris clock.
                    setDeadline(.header)
                }
                return
            case .head(let head):
                setDeadline(.body)
                if head.expectsContinue && buffered == 0 {
                    sendInterim(ResponseWriter.continueBytes)
                }
            case .complete(let head):
                dispatch(head)
            case .failed(let error):
                loop.context.logger.debug("rejected request", metadata: [
                    "http.error": "\(error.rawValue)", "http.remote": "\(remoteAddress)",
                ])
                respondAndClose(HTTPResponse.error(
                    status: error.status, code: error.code, message: error.message, requestID: startExchange()
                ))
            }
        }
    }

    /// Starts the exchange for a request the parser completed and runs the handler.
    private func dispatch(_ head: RequestHead) {
        sequence += 1
        var request = head.request
        request.remoteAddress = remoteAddress
        request.requestID = loop.requestIDs.id(for: request.headers)
        let keepAlive = head.keepAlive && sequence < configuration.maxRequestsPerConnection && !loop.shuttingDown
        // Weak: a responder kept by a handler after shutdown must not keep the loop alive.
        let slot = ResponseSlot { [weak loop = self.loop, token = self.token, sequence = self.sequence] response in
            loop?.deliver(connection: token, sequence: sequence, response)
        }
        exchange = Exchange(
            slot: slot, requestID: request.requestID, isHead: request.method == "HEAD", keepAlive: keepAlive,
            announceKeepAlive: head.keepAlive && request.version.minor == 0
        )
        state = .awaitingResponse
        setDeadline(.none)
        // A response given synchronously is parked and written after the handler returns, so a
        // pipelined burst is processed iteratively rather than by recursion.
        inHandler = true
        loop.context.handler(request, HTTPResponder(slot: slot))
        inHandler = false
        if let response = synchronousResponse {
            synchronousResponse = nil
            startResponse(response)
        }
    }

    /// A protocol-level exchange (error, timeout) with a fresh request id; returns the id.
    func startExchange() -> String {
        let id = loop.requestIDs.next()
        exchange = Exchange(slot: nil, requestID: id, isHead: false, keepAlive: false, announceKeepAlive: false)
        state = .awaitingResponse
        return id
    }

    /// The peer sent FIN. Between requests that is a normal close; mid-request it is answered with
    /// 400 (e.g. a chunked body without its last chunk); while a handler runs the responder learns
    /// the client left, and the response, if it still comes, gets `writeTimeout` to be written.
    private func peerClosed() {
        readClosed = true
        wantRead = false
        updateInterest()
        switch state {
        case .reading:
            if parser.isIdle && buffered == 0 {
                close()
            } else {
                respondAndClose(HTTPResponse.error(
                    status: 400, code: HTTPParseError.incompleteRequest.code,
                    message: HTTPParseError.incompleteRequest.message, requestID: startExchange()
                ))
            }
        case .awaitingResponse:
            exchange?.slot?.markClosed()
            setDeadline(.halfClosed)
        case .writing:
            break
        case .lingering, .closed:
            close()
        }
    }

    /// After a final response: discard what the client still sends (bounded) until it closes, so
    /// our close does not turn into a RST that destroys the response before the client read it.
    private func drainWhileLingering() {
        for _ in 0..<16 {
            let result: IOResult<Int>
            do throws(SyscallError) {
                result = try Syscall.read(fd, loop.scratch, EventLoop.readChunk)
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else { return }
            lingerBytes += count
            if count == 0 || lingerBytes > 1024 * 1024 {
                close()
                return
            }
        }
    }
}
