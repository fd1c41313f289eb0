extension HTTPRequestParser {
    /// Scans for the end of the head (CRLF CRLF), enforcing line endings and size limits as bytes
    /// arrive, then parses the complete head in one pass.
    mutating func parseHead(_ bytes: UnsafeBufferPointer<UInt8>) -> (consumed: Int, event: Event) {
        var index = scan.position
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            index += 1
            if scan.sawCR {
                guard byte == 0x0A else { return (0, fail(.bareCR)) }
                scan.sawCR = false
                if let end = lineEnded(at: index) {
                    switch end {
                    case .failure(let error):
                        return (0, fail(error))
                    case .success(let headEnd):
                        return finishHead(bytes, end: headEnd)
                    }
                }
            } else if byte == 0x0D {
                scan.sawCR = true
            } else if byte == 0x0A {
                return (0, fail(.bareLF))
            } else if byte == 0 {
                return (0, fail(scan.requestLineEnd == nil ? .invalidRequestLine : .invalidHeaderValue))
            }
            if let error = limitExceeded(at: index) {
                return (0, fail(error))
            }
        }
        scan.position = index
        return (0, .needMore)
    }

    /// Called after the LF of a line ending at `end`; returns the head's end when it is complete.
    private mutating func lineEnded(at end: Int) -> Result<Int, HTTPParseError>? {
        let length = end - scan.lineStart - 2
        defer { scan.lineStart = end }
        if scan.requestLineEnd == nil {
            if length == 0 {
                // Leading empty lines are ignored, but only a few (they count as head bytes).
                scan.headStart = end
                return end > 8 ? .failure(.invalidRequestLine) : nil
            }
            if length > limits.maxRequestLineBytes { return .failure(.requestLineTooLong) }
            scan.requestLineEnd = end
            return nil
        }
        if length == 0 { return .success(end) }
        scan.headerLines += 1
        if scan.headerLines > limits.maxHeaderCount { return .failure(.tooManyHeaders) }
        return nil
    }

    private func limitExceeded(at index: Int) -> HTTPParseError? {
        if let requestLineEnd = scan.requestLineEnd {
            return index - requestLineEnd > limits.maxHeaderBytes ? .headersTooLarge : nil
        }
        // +2 leaves room for the CRLF that is not counted in the request line.
        return index - scan.headStart > limits.maxRequestLineBytes + 2 ? .requestLineTooLong : nil
    }

    private mutating func finishHead(_ bytes: UnsafeBufferPointer<UInt8>, end: Int) -> (consumed: Int, event: Event) {
        let requestLineEnd = scan.requestLineEnd!
        let requestLine = UnsafeBufferPointer(rebasing: bytes[scan.headStart..<(requestLineEnd - 2)])
        let fields = UnsafeBufferPointer(rebasing: bytes[requestLineEnd..<end])
        switch HeadParser.parse(requestLine: requestLine, fields: fields, limits: limits) {
        case .failure(let error):
            return (0, fail(error))
        case .success(let head):
            scan = HeadScan()
            switch head.framing {
            case .none, .length(0):
                reset()
                return (end, .complete(head))
            case .length(let length):
                state = .body(remaining: length)
                var head = head
                head.request.body.reserveCapacity(min(length, 64 * 1024))
                pendingHead = head
                return (end, .head(head))
            case .chunked:
                state = .chunked(.size(digits: 0, value: 0))
                pendingHead = head
                return (end, .head(head))
            }
        }
    }
}
