import Testing
@testable import RateLimit

@Suite("RESP2 parser")
struct RESPParserTests {
    struct Fixture: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: String
        var value: RESPValue
        var testDescription: String { name }
    }

    static let valid: [Fixture] = [
        .init(name: "simple string", bytes: "+OK\r\n", value: .simpleString("OK")),
        .init(name: "empty simple string", bytes: "+\r\n", value: .simpleString("")),
        .init(name: "error", bytes: "-NOSCRIPT No matching script.\r\n", value: .error("NOSCRIPT No matching script.")),
        .init(name: "integer", bytes: ":42\r\n", value: .integer(42)),
        .init(name: "negative integer", bytes: ":-7\r\n", value: .integer(-7)),
        .init(name: "int64 max", bytes: ":9223372036854775807\r\n", value: .integer(.max)),
        .init(name: "bulk string", bytes: "$5\r\nhello\r\n", value: .bulkString(Array("hello".utf8))),
        .init(name: "bulk string with CRLF inside", bytes: "$4\r\na\r\nb\r\n", value: .bulkString(Array("a\r\nb".utf8))),
        .init(name: "empty bulk string", bytes: "$0\r\n\r\n", value: .bulkString([])),
        .init(name: "null bulk string", bytes: "$-1\r\n", value: .bulkString(nil)),
        .init(name: "empty array", bytes: "*0\r\n", value: .array([])),
        .init(name: "null array", bytes: "*-1\r\n", value: .array(nil)),
        .init(name: "script reply", bytes: "*4\r\n:1\r\n:0\r\n:3\r\n:1250\r\n",
              value: .array([.integer(1), .integer(0), .integer(3), .integer(1250)])),
        .init(name: "mixed nested array", bytes: "*3\r\n$3\r\nfoo\r\n*2\r\n+a\r\n$-1\r\n-ERR x\r\n",
              value: .array([.bulkString(Array("foo".utf8)), .array([.simpleString("a"), .bulkString(nil)]), .error("ERR x")])),
    ]

    /// Every fixture fed in chunks of every size: incomplete until its last byte arrives, then the
    /// value, consuming exactly its bytes and not the start of the next reply.
    @Test(arguments: valid)
    func parsesAtEveryChunkSize(_ fixture: Fixture) throws {
        let whole = Array(fixture.bytes.utf8)
        let next = Array("+NEXT\r\n".utf8)
        for chunk in 1...whole.count {
            var buffer: [UInt8] = []
            var offset = 0
            while offset < whole.count {
                buffer += whole[offset..<min(offset + chunk, whole.count)]
                offset = buffer.count
                let outcome = try RESPParser().parse(buffer)
                if offset < whole.count {
                    #expect(outcome == .incomplete, "chunk \(chunk), \(offset) bytes")
                } else {
                    #expect(outcome == .complete(fixture.value, consumed: whole.count), "chunk \(chunk)")
                }
            }
            #expect(try RESPParser().parse(whole + next) == .complete(fixture.value, consumed: whole.count))
        }
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: String
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        .init(name: "unknown type byte", bytes: "!oops\r\n"),
        .init(name: "RESP3 map is not RESP2", bytes: "%1\r\n+a\r\n+b\r\n"),
        .init(name: "bare LF", bytes: "+OK\n"),
        .init(name: "CR without LF", bytes: "+O\rK\r\n"),
        .init(name: "integer with letters", bytes: ":12a\r\n"),
        .init(name: "empty integer", bytes: ":\r\n"),
        .init(name: "lone minus", bytes: ":-\r\n"),
        .init(name: "integer overflow", bytes: ":99999999999999999999\r\n"),
        .init(name: "bulk length below -1", bytes: "$-2\r\n"),
        .init(name: "bulk length huge", bytes: "$999999999999\r\n"),
        .init(name: "bulk not terminated by CRLF", bytes: "$3\r\nabcXY"),
        .init(name: "array length below -1", bytes: "*-5\r\n"),
        .init(name: "array length huge", bytes: "*100000000\r\n"),
        .init(name: "junk inside array", bytes: "*2\r\n:1\r\n?\r\n"),
        .init(name: "HTML instead of Redis", bytes: "HTTP/1.1 400 Bad Request\r\n"),
    ]

    /// Malformed input throws as soon as enough of it has arrived — never hangs waiting, never
    /// returns a value.
    @Test(arguments: malformed)
    func rejectsMalformedAtEveryChunkSize(_ fixture: Malformed) {
        let whole = Array(fixture.bytes.utf8)
        for chunk in 1...whole.count {
            var buffer: [UInt8] = []
            var threw = false
            while buffer.count < whole.count, !threw {
                buffer += whole[buffer.count..<min(buffer.count + chunk, whole.count)]
                do {
                    let outcome = try RESPParser().parse(buffer)
                    #expect(outcome == .incomplete, "chunk \(chunk)")
                } catch {
                    #expect(error.code == .protocolViolation)
                    threw = true
                }
            }
            #expect(threw, "chunk \(chunk): never rejected")
        }
    }

    @Test func deepNestingIsRejected() {
        let bytes = Array((String(repeating: "*1\r\n", count: 20) + ":1\r\n").utf8)
        #expect(throws: RateLimitError.self) { try RESPParser().parse(bytes) }
    }

    @Test func overlongLineWithoutCRLFIsRejected() {
        var limits = RESPParser.Limits()
        limits.maxLineLength = 16
        let bytes = Array(("+" + String(repeating: "a", count: 100)).utf8)
        #expect(throws: RateLimitError.self) { try RESPParser(limits: limits).parse(bytes) }
    }

    @Test func incompleteArrayWaitsForItsElements() throws {
        #expect(try RESPParser().parse(Array("*2\r\n:1\r\n".utf8)) == .incomplete)
        #expect(try RESPParser().parse([]) == .incomplete)
    }

    @Test func errorPrefixIsTheFirstWord() {
        #expect(RESPValue.error("NOSCRIPT No matching script. Please use EVAL.").errorPrefix == "NOSCRIPT")
        #expect(RESPValue.integer(1).errorPrefix == nil)
    }
}

@Suite("RESP2 encoder")
struct RESPEncoderTests {
    @Test func commandIsAnArrayOfBulkStrings() {
        let bytes = RESPEncoder.command(["EVALSHA", "ab", "0", "k\r\ney", ""])
        #expect(String(decoding: bytes, as: UTF8.self) == "*5\r\n$7\r\nEVALSHA\r\n$2\r\nab\r\n$1\r\n0\r\n$5\r\nk\r\ney\r\n$0\r\n\r\n")
    }

    @Test func encodedCommandsParseBackAsArrays() throws {
        let arguments = ["SET", "ключ", "value with spaces"]
        let outcome = try RESPParser().parse(RESPEncoder.command(arguments))
        #expect(outcome == .complete(.array(arguments.map { .bulkString(Array($0.utf8)) }), consumed: RESPEncoder.command(arguments).count))
    }
}
