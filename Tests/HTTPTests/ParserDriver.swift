@testable import HTTP

/// Feeds bytes to a parser in chunks the way a connection does (unconsumed bytes re-presented,
/// then new ones), collecting every completed request and the first error.
struct ParserDriver {
    var parser: HTTPRequestParser
    var pending: [UInt8] = []
    var requests: [RequestHead] = []
    var heads: [RequestHead] = []
    var error: HTTPParseError?

    init(limits: HTTPRequestParser.Limits = .init()) {
        parser = HTTPRequestParser(limits: limits)
    }

    mutating func feed<C: Collection>(_ chunk: C) where C.Element == UInt8 {
        guard error == nil else { return }
        pending.append(contentsOf: chunk)
        while true {
            let (consumed, event) = pending.withUnsafeBytes { parser.parse($0) }
            precondition(consumed <= pending.count, "parser consumed more than it was given")
            pending.removeFirst(consumed)
            switch event {
            case .needMore: return
            case .head(let head): heads.append(head)
            case .complete(let head): requests.append(head)
            case .failed(let failure):
                error = failure
                return
            }
        }
    }

    /// Runs `input` split into chunks of `chunkSize` bytes.
    static func run(_ input: [UInt8], chunkSize: Int, limits: HTTPRequestParser.Limits = .init()) -> ParserDriver {
        var driver = ParserDriver(limits: limits)
        var start = 0
        while start < input.count {
            let end = min(input.count, start + chunkSize)
            driver.feed(input[start..<end])
            start = end
        }
        return driver
    }
}

extension String {
    /// Test fixtures are written with `\n`; the wire wants CRLF.
    var crlf: [UInt8] { Array(replacingOccurrences(of: "\n", with: "\r\n").utf8) }
}
