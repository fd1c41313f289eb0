extension HTTPRequestParser {
    /// Reads a Content-Length or chunked body into the pending request.
    mutating func parseBody(_ bytes: UnsafeBufferPointer<UInt8>) -> (consumed: Int, event: Event) {
        switch state {
        case .body(let remaining):
            let take = min(remaining, bytes.count)
            pendingHead!.request.body.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[0..<take]))
            if take == remaining {
                return (take, completeRequest())
            }
            state = .body(remaining: remaining - take)
            return (take, .needMore)
        case .chunked(let chunkState):
            return parseChunked(bytes, chunkState)
        default:
            return (0, .needMore)
        }
    }

    private mutating func completeRequest() -> Event {
        let head = pendingHead!
        reset()
        return .complete(head)
    }

    /// Chunked transfer coding (RFC 9112 §7.1): `size[;ext] CRLF data CRLF ... 0 CRLF trailers CRLF`.
    /// Extensions and trailer fields are read and discarded (bounded).
    private mutating func parseChunked(
        _ bytes: UnsafeBufferPointer<UInt8>, _ initial: ChunkState
    ) -> (consumed: Int, event: Event) {
        var chunk = initial
        var index = 0
        let count = bytes.count
        while index < count {
            if case .data(let remaining) = chunk {
                let take = min(remaining, count - index)
                pendingHead!.request.body.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + take)]))
                index += take
                chunk = take == remaining ? .dataCR : .data(remaining: remaining - take)
                continue
            }
            let byte = bytes[index]
            index += 1
            switch step(chunk, byte) {
            case .next(let next):
                chunk = next
            case .error(let error):
                return (index, fail(error))
            case .done:
                return (index, completeRequest())
            }
        }
        state = .chunked(chunk)
        return (index, .needMore)
    }

    private enum Step {
        case next(ChunkState)
        case error(HTTPParseError)
        case done
    }

    private mutating func step(_ chunk: ChunkState, _ byte: UInt8) -> Step {
        switch chunk {
        case .size(let digits, let value):
            if let digit = PercentDecoding.hexValue(byte) {
                // 15 hex digits is far above any body limit and cannot overflow Int.
                guard digits < 15 else { return .error(.invalidChunkSize) }
                return .next(.size(digits: digits + 1, value: value << 4 | Int(digit)))
            }
            guard digits > 0 else { return .error(.invalidChunkSize) }
            switch byte {
            case 0x0D: return .next(.sizeLF(value: value))
            case 0x20, 0x09: return .next(.sizeWhitespace(value: value))
            case UInt8(ascii: ";"): return .next(.extensions(value: value, bytes: 0))
            default: return .error(.invalidChunkSize)
            }
        case .sizeWhitespace(let value):
            switch byte {
            case 0x20, 0x09: return .next(.sizeWhitespace(value: value))
            case UInt8(ascii: ";"): return .next(.extensions(value: value, bytes: 0))
            case 0x0D: return .next(.sizeLF(value: value))
            default: return .error(.invalidChunkSize)
            }
        case .extensions(let value, let bytes):
            if byte == 0x0D { return .next(.sizeLF(value: value)) }
            if byte == 0x0A { return .error(.bareLF) }
            guard CharacterClass.isFieldValueChar(byte) else { return .error(.invalidChunkExtension) }
            guard bytes < limits.maxChunkExtensionBytes else { return .error(.invalidChunkExtension) }
            return .next(.extensions(value: value, bytes: bytes + 1))
        case .sizeLF(let value):
            guard byte == 0x0A else { return .error(.bareCR) }
            if value == 0 { return .next(.trailerLineStart) }
            guard pendingHead!.request.body.count + value <= limits.maxBodyBytes else { return .error(.bodyTooLarge) }
            return .next(.data(remaining: value))
        case .data:
            return .error(.invalidChunkSize)  // unreachable: data is copied in bulk
        case .dataCR:
            return byte == 0x0D ? .next(.dataLF) : .error(.invalidChunkTerminator)
        case .dataLF:
            return byte == 0x0A ? .next(.size(digits: 0, value: 0)) : .error(.invalidChunkTerminator)
        case .trailerLineStart:
            if byte == 0x0D { return .next(.finalLF) }
            // A trailer field must start with a name character (no folding, no empty name).
            guard CharacterClass.isTokenChar(byte) else { return .error(.invalidTrailer) }
            return countTrailerByte(.trailerLine)
        case .trailerLine:
            if byte == 0x0D { return .next(.trailerLF) }
            if byte == 0x0A { return .error(.bareLF) }
            guard CharacterClass.isFieldValueChar(byte) else { return .error(.invalidTrailer) }
            return countTrailerByte(.trailerLine)
        case .trailerLF:
            return byte == 0x0A ? countTrailerByte(.trailerLineStart) : .error(.bareCR)
        case .finalLF:
            return byte == 0x0A ? .done : .error(.bareCR)
        }
    }

    private mutating func countTrailerByte(_ next: ChunkState) -> Step {
        trailerBytes += 1
        return trailerBytes > limits.maxHeaderBytes ? .error(.headersTooLarge) : .next(next)
    }
}
