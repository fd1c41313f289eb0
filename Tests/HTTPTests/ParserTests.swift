import Testing
@testable import HTTP

@Suite("HTTPRequestParser")
struct ParserTests {
    @Test("valid requests parse identically at every chunk size", arguments: ParserFixtures.valid)
    func valid(_ fixture: ValidFixture) {
        for chunkSize in 1...fixture.input.count {
            let driver = ParserDriver.run(fixture.input, chunkSize: chunkSize, limits: ParserFixtures.limits)
            #expect(driver.error == nil, "chunk size \(chunkSize)")
            #expect(driver.requests.count == 1, "chunk size \(chunkSize)")
            #expect(driver.pending.isEmpty, "chunk size \(chunkSize): leftover bytes")
            guard let head = driver.requests.first else { return }
            let request = head.request
            #expect(request.method == fixture.method)
            #expect(request.target == fixture.target)
            #expect(request.path == fixture.path)
            #expect(request.query == fixture.query)
            #expect(request.version == fixture.version)
            #expect(request.headers.map { "\($0.name)=\($0.value)" } == fixture.headers.map { "\($0.0)=\($0.1)" })
            #expect(request.body == fixture.body, "chunk size \(chunkSize)")
            #expect(head.keepAlive == fixture.keepAlive)
            #expect(head.expectsContinue == fixture.expectsContinue)
        }
    }

    @Test("reject cases fail with their exact error at every chunk size", arguments: ParserFixtures.rejects)
    func reject(_ fixture: RejectFixture) {
        for chunkSize in 1...fixture.input.count {
            let driver = ParserDriver.run(fixture.input, chunkSize: chunkSize, limits: ParserFixtures.limits)
            #expect(driver.error == fixture.error, "chunk size \(chunkSize)")
            #expect(driver.requests.isEmpty, "chunk size \(chunkSize)")
        }
    }

    @Test("every reject maps to its status and stable code")
    func statusesAndCodes() {
        #expect(HTTPParseError.bodyTooLarge.status == 413)
        #expect(HTTPParseError.bodyTooLarge.code == "PAYLOAD_TOO_LARGE")
        #expect(HTTPParseError.requestLineTooLong.code == "URI_TOO_LONG")
        #expect(HTTPParseError.headersTooLarge.code == "HEADERS_TOO_LARGE")
        #expect(HTTPParseError.tooManyHeaders.status == 431)
        #expect(HTTPParseError.unsupportedTransferCoding.code == "NOT_IMPLEMENTED")
        #expect(HTTPParseError.versionNotSupported.code == "HTTP_VERSION_NOT_SUPPORTED")
        #expect(HTTPParseError.obsFold.code == "BAD_REQUEST")
        for error in HTTPParseError.allCases {
            #expect([400, 413, 414, 431, 501, 505].contains(error.status))
            #expect(!error.message.isEmpty)
        }
    }

    @Test("pipelined requests come out in order at every chunk size")
    func pipelined() {
        let input = ("GET /1 HTTP/1.1\nHost: a\n\n"
            + "POST /2 HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello"
            + "POST /3 HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n"
            + "HEAD /4 HTTP/1.1\nHost: a\n\n").crlf
        for chunkSize in 1...input.count {
            let driver = ParserDriver.run(input, chunkSize: chunkSize)
            #expect(driver.error == nil)
            #expect(driver.requests.map(\.request.path) == ["/1", "/2", "/3", "/4"], "chunk size \(chunkSize)")
            #expect(driver.requests.map { String(decoding: $0.request.body, as: UTF8.self) } == ["", "hello", "abc", ""])
            #expect(driver.heads.count == 2)
        }
    }

    @Test("the parser stops at the end of a request and keeps the rest")
    func neverConsumesPastRequest() {
        var parser = HTTPRequestParser()
        let input = "GET /a HTTP/1.1\nHost: a\n\nGET /b HTTP/1.1\n".crlf
        let (consumed, event) = input.withUnsafeBytes { parser.parse($0) }
        guard case .complete(let head) = event else {
            Issue.record("expected a complete request, got \(event)")
            return
        }
        #expect(head.request.path == "/a")
        #expect(consumed == "GET /a HTTP/1.1\nHost: a\n\n".crlf.count)
        #expect(!parser.isIdle || true)
    }

    @Test("a failed parser stays failed")
    func failureIsSticky() {
        var parser = HTTPRequestParser()
        let bad = "GET / HTTP/1.1\nHost : a\n\n".crlf
        _ = bad.withUnsafeBytes { parser.parse($0) }
        let good = "GET / HTTP/1.1\nHost: a\n\n".crlf
        let (_, event) = good.withUnsafeBytes { parser.parse($0) }
        guard case .failed(let error) = event else {
            Issue.record("expected failure, got \(event)")
            return
        }
        #expect(error == .whitespaceBeforeColon)
    }

    @Test("head event announces a body before it arrives")
    func headBeforeBody() {
        var driver = ParserDriver()
        driver.feed("POST /p HTTP/1.1\nHost: a\nExpect: 100-continue\nContent-Length: 4\n\n".crlf)
        #expect(driver.heads.count == 1)
        #expect(driver.heads.first?.expectsContinue == true)
        #expect(driver.requests.isEmpty)
        driver.feed(Array("body".utf8))
        #expect(driver.requests.first?.request.body == Array("body".utf8))
    }

    @Test("limits fail early, before the whole head arrived")
    func limitsFailEarly() {
        var driver = ParserDriver(limits: ParserFixtures.limits)
        driver.feed(Array("GET /".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 300))
        #expect(driver.error == .requestLineTooLong)
        var headers = ParserDriver(limits: ParserFixtures.limits)
        headers.feed(Array("GET / HTTP/1.1\r\nX: ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 600))
        #expect(headers.error == .headersTooLarge)
    }

    @Test("a head trickled one byte at a time is scanned once (linear work)")
    func trickleIsLinear() {
        var limits = HTTPRequestParser.Limits()
        limits.maxHeaderBytes = 64 * 1024
        limits.maxHeaderCount = 10_000
        var text = "GET / HTTP/1.1\nHost: a\n"
        for index in 0..<2000 { text += "X-\(index): value\n" }
        let input = (text + "\n").crlf
        let driver = ParserDriver.run(input, chunkSize: 1, limits: limits)
        #expect(driver.error == nil)
        #expect(driver.requests.first?.request.headers.count == 2001)
    }
}
