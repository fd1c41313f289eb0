/// The parser's fuzzing entry point (used by the `HTTPFuzz` libFuzzer target). The parser stays
/// internal; this is the only way in from outside the module.
///
/// Each input is fed the way a connection feeds it — unconsumed bytes re-presented ahead of new
/// ones — whole, one byte at a time, and split in two at input-derived points. Besides crashes,
/// it traps (so the fuzzer reports a finding) when a contract of `HTTPRequestParser` is broken:
/// more consumed than given, a request over its limits, a dead parser coming back to life, an
/// idle parser with unconsumed bytes, or a different outcome depending on how the bytes were split.
public enum HTTPParserFuzzing {
    /// Small limits, so that every limit is within the fuzzer's reach (default input length 4096).
    static let limits: HTTPRequestParser.Limits = {
        var limits = HTTPRequestParser.Limits()
        limits.maxRequestLineBytes = 256
        limits.maxHeaderBytes = 512
        limits.maxHeaderCount = 10
        limits.maxBodyBytes = 1024
        limits.maxChunkExtensionBytes = 64
        return limits
    }()

    public static func run(_ bytes: UnsafeRawBufferPointer) {
        let input = [UInt8](bytes)
        let whole = Outcome(input, chunkSizes: [max(1, input.count)])
        guard input.count > 1 else { return }
        let splits: [[Int]] = [
            [1],
            [input.count / 2, input.count],
            [Int(input[0]) % input.count + 1, input.count],
            [Int(input[input.count - 1]) % 7 + 1],
        ]
        for sizes in splits {
            let split = Outcome(input, chunkSizes: sizes)
            precondition(split == whole, "outcome depends on chunking \(sizes): \(split) vs \(whole)")
        }
    }

    /// What the parser made of one input: every event, in order, and what was left unconsumed.
    struct Outcome: Equatable, CustomStringConvertible {
        enum Event: Equatable {
            case head(framing: RequestHead.Framing)
            case complete(method: String, target: String, path: String, query: String, version: HTTPVersion,
                          headers: [String], body: [UInt8], keepAlive: Bool, expectsContinue: Bool)
            case failed(HTTPParseError)
        }

        var events: [Event] = []
        var leftover = 0

        var description: String { "\(events) leftover \(leftover)" }

        /// Feeds `input` in chunks of the given sizes, cycling through them.
        init(_ input: [UInt8], chunkSizes: [Int]) {
            var parser = HTTPRequestParser(limits: HTTPParserFuzzing.limits)
            var pending: [UInt8] = []
            var start = 0
            var round = 0
            while start < input.count, !failed {
                let end = min(input.count, start + chunkSizes[round % chunkSizes.count])
                round += 1
                pending.append(contentsOf: input[start..<end])
                start = end
                drain(&parser, &pending)
            }
            // After a failure the bytes fed so far depend on the chunking; only a clean end counts.
            leftover = failed ? 0 : pending.count
        }

        private var failed: Bool {
            if case .failed? = events.last { return true }
            return false
        }

        private mutating func drain(_ parser: inout HTTPRequestParser, _ pending: inout [UInt8]) {
            while true {
                let (consumed, event) = pending.withUnsafeBytes { parser.parse($0) }
                precondition(consumed >= 0 && consumed <= pending.count, "consumed \(consumed) of \(pending.count)")
                pending.removeFirst(consumed)
                switch event {
                case .needMore:
                    if case .head = parser.state {
                        // The connection closes "between requests" on this: it must mean no bytes.
                        precondition(parser.isIdle == pending.isEmpty, "isIdle disagrees with \(pending.count) pending bytes")
                    }
                    return
                case .head(let head):
                    precondition(head.framing != .none && head.framing != .length(0), "head event without a body")
                    events.append(.head(framing: head.framing))
                case .complete(let head):
                    record(head)
                case .failed(let error):
                    events.append(.failed(error))
                    let again = pending.withUnsafeBytes { parser.parse($0) }
                    guard case .failed(let same) = again.event, same == error, again.consumed == 0 else {
                        preconditionFailure("a failed parser did not stay failed")
                    }
                    return
                }
            }
        }

        private mutating func record(_ head: RequestHead) {
            let request = head.request
            let limits = HTTPParserFuzzing.limits
            precondition(request.body.count <= limits.maxBodyBytes, "body over the limit")
            if case .length(let length) = head.framing {
                precondition(request.body.count == length, "body \(request.body.count) != Content-Length \(length)")
            }
            precondition(request.headers.count <= limits.maxHeaderCount, "too many headers accepted")
            events.append(.complete(
                method: request.method, target: request.target, path: request.path, query: request.query,
                version: request.version, headers: request.headers.map { "\($0.name): \($0.value)" },
                body: request.body, keepAlive: head.keepAlive, expectsContinue: head.expectsContinue
            ))
        }
    }
}
