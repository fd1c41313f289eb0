/// Incremental HTTP/1.1 request parser (RFC 9112). Pure: no I/O, no clocks, no allocation beyond
/// the request it builds.
///
/// Contract (in the spirit of picohttpparser):
/// - `parse(_:)` takes every received byte not yet consumed — bytes left unconsumed by the previous
///   call first, then newly received ones — and returns `(consumed, event)`. The caller drops the
///   first `consumed` bytes and keeps the rest.
/// - `.needMore`: nothing complete yet; call again with more bytes. While the head is incomplete
///   nothing is consumed, but already-scanned bytes are not scanned again (no quadratic rescans
///   when a head trickles in one byte at a time).
/// - `.head(h)`: a head announcing a body is complete (the caller may answer `100 Continue` or
///   start the body timer); call again to read the body.
/// - `.complete(h)`: one request is complete, body included; the parser is reset and the remaining
///   bytes belong to the next (pipelined) request.
/// - `.failed(e)`: the request is rejected; the parser is dead (every later call fails the same
///   way). Answer `e.status` and close: framing can no longer be trusted.
/// - It never consumes bytes past the end of the current request. Every buffer is bounded by
///   `Limits` and limits are checked as bytes arrive, so oversized input fails early.
struct HTTPRequestParser {
    struct Limits: Sendable {
        var maxRequestLineBytes = 8192
        var maxHeaderBytes = 32768
        var maxHeaderCount = 100
        var maxBodyBytes = 2 * 1024 * 1024
        /// Bytes of a chunk-size line beyond the digits (extensions), which are ignored.
        var maxChunkExtensionBytes = 4096
    }

    enum Event {
        case needMore
        case head(RequestHead)
        case complete(RequestHead)
        case failed(HTTPParseError)
    }

    enum State {
        case head
        case body(remaining: Int)
        case chunked(ChunkState)
        case failed(HTTPParseError)
    }

    enum ChunkState: Equatable {
        case size(digits: Int, value: Int)
        case sizeWhitespace(value: Int)
        case extensions(value: Int, bytes: Int)
        case sizeLF(value: Int)
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine
        case trailerLF
        case finalLF
    }

    let limits: Limits
    var state: State = .head
    /// Head scanning progress, relative to the first unconsumed byte.
    var scan = HeadScan()
    /// The head of the request whose body is being read.
    var pendingHead: RequestHead?
    var trailerBytes = 0

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// True when no byte of a next request has been seen (a clean point to close the connection).
    var isIdle: Bool {
        if case .head = state { return scan.position == 0 }
        return false
    }

    mutating func parse(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, event: Event) {
        let bytes = bytes.bindMemory(to: UInt8.self)
        switch state {
        case .failed(let error):
            return (0, .failed(error))
        case .head:
            return parseHead(bytes)
        case .body, .chunked:
            return parseBody(bytes)
        }
    }

    mutating func fail(_ error: HTTPParseError) -> Event {
        state = .failed(error)
        return .failed(error)
    }

    mutating func reset() {
        state = .head
        scan = HeadScan()
        pendingHead = nil
        trailerBytes = 0
    }
}

/// How far the head has been scanned for its terminating empty line.
struct HeadScan {
    var position = 0
    /// Where the request line starts (leading empty lines are skipped, RFC 9112 §2.2).
    var headStart = 0
    var lineStart = 0
    /// Offset just past the request line's CRLF, once seen.
    var requestLineEnd: Int?
    var headerLines = 0
    var sawCR = false
}
