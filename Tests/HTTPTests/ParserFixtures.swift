@testable import HTTP

/// A request that must parse, with what it must parse to.
struct ValidFixture: CustomStringConvertible, Sendable {
    var name: String
    var input: [UInt8]
    var method: String
    var target: String
    var path: String
    var query: String = ""
    var version = HTTPVersion(major: 1, minor: 1)
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    var keepAlive = true
    var expectsContinue = false
    var description: String { name }
}

/// A request that must be rejected, with the exact error.
struct RejectFixture: CustomStringConvertible, Sendable {
    var name: String
    var input: [UInt8]
    var error: HTTPParseError
    var description: String { name }
}

enum ParserFixtures {
    static let valid: [ValidFixture] = [
        ValidFixture(
            name: "simple GET", input: "GET /v1/health HTTP/1.1\nHost: a\n\n".crlf,
            method: "GET", target: "/v1/health", path: "/v1/health", headers: [("Host", "a")]
        ),
        ValidFixture(
            name: "query and percent-encoded path",
            input: "GET /v1/tasks/a%20b?limit=5&x=%2F HTTP/1.1\nHost: a\n\n".crlf,
            method: "GET", target: "/v1/tasks/a%20b?limit=5&x=%2F", path: "/v1/tasks/a b", query: "limit=5&x=%2F",
            headers: [("Host", "a")]
        ),
        ValidFixture(
            name: "POST with Content-Length",
            input: "POST /v1/tasks HTTP/1.1\nHost: a\nContent-Type: application/json\nContent-Length: 12\n\n{\"type\":\"x\"}".crlf,
            method: "POST", target: "/v1/tasks", path: "/v1/tasks",
            headers: [("Host", "a"), ("Content-Type", "application/json"), ("Content-Length", "12")],
            body: Array("{\"type\":\"x\"}".utf8)
        ),
        ValidFixture(
            name: "chunked body with extensions and trailers",
            input: "POST /u HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n4;name=value\nWiki\n5 ; a=\"b\"\npedia\nE\n in\n\nchunks.\n0\nX-Trailer: yes\nX-Other: 1\n\n".crlf,
            method: "POST", target: "/u", path: "/u",
            headers: [("Host", "a"), ("Transfer-Encoding", "chunked")],
            body: Array("Wikipedia in\r\n\r\nchunks.".utf8)
        ),
        ValidFixture(
            name: "chunked with upper-case hex and no trailers",
            input: "PUT /x HTTP/1.1\nHost: a\nTransfer-Encoding: Chunked\n\nA\n0123456789\n0\n\n".crlf,
            method: "PUT", target: "/x", path: "/x",
            headers: [("Host", "a"), ("Transfer-Encoding", "Chunked")], body: Array("0123456789".utf8)
        ),
        ValidFixture(
            name: "HTTP/1.0 without Host closes by default", input: "GET / HTTP/1.0\n\n".crlf,
            method: "GET", target: "/", path: "/", version: .init(major: 1, minor: 0), keepAlive: false
        ),
        ValidFixture(
            name: "HTTP/1.0 keep-alive", input: "GET / HTTP/1.0\nConnection: Keep-Alive\n\n".crlf,
            method: "GET", target: "/", path: "/", version: .init(major: 1, minor: 0),
            headers: [("Connection", "Keep-Alive")], keepAlive: true
        ),
        ValidFixture(
            name: "Connection close among tokens", input: "GET / HTTP/1.1\nHost: a\nConnection: foo, CLOSE\n\n".crlf,
            method: "GET", target: "/", path: "/", headers: [("Host", "a"), ("Connection", "foo, CLOSE")], keepAlive: false
        ),
        ValidFixture(
            name: "optional whitespace trimmed, empty value, obs-text kept",
            input: Array("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t v  \t\r\nX-Empty:\r\nX-Bin: caf\u{e9}\r\n\r\n".utf8),
            method: "GET", target: "/", path: "/",
            headers: [("Host", "a"), ("X-A", "v"), ("X-Empty", ""), ("X-Bin", "caf\u{e9}")]
        ),
        ValidFixture(
            name: "leading empty line ignored", input: "\nGET / HTTP/1.1\nHost: a\n\n".crlf,
            method: "GET", target: "/", path: "/", headers: [("Host", "a")]
        ),
        ValidFixture(
            name: "absolute-form target", input: "GET http://example.com/a/b?c=d HTTP/1.1\nHost: example.com\n\n".crlf,
            method: "GET", target: "http://example.com/a/b?c=d", path: "/a/b", query: "c=d",
            headers: [("Host", "example.com")]
        ),
        ValidFixture(
            name: "OPTIONS asterisk", input: "OPTIONS * HTTP/1.1\nHost: a\n\n".crlf,
            method: "OPTIONS", target: "*", path: "*", headers: [("Host", "a")]
        ),
        ValidFixture(
            name: "expect 100-continue with body",
            input: "POST /p HTTP/1.1\nHost: a\nExpect: 100-continue\nContent-Length: 2\n\nhi".crlf,
            method: "POST", target: "/p", path: "/p",
            headers: [("Host", "a"), ("Expect", "100-continue"), ("Content-Length", "2")],
            body: Array("hi".utf8), expectsContinue: true
        ),
        ValidFixture(
            name: "Content-Length zero", input: "POST /p HTTP/1.1\nHost: a\nContent-Length: 0\n\n".crlf,
            method: "POST", target: "/p", path: "/p", headers: [("Host", "a"), ("Content-Length", "0")]
        ),
        ValidFixture(
            name: "higher minor version treated as 1.1", input: "GET / HTTP/1.7\nHost: a\n\n".crlf,
            method: "GET", target: "/", path: "/", version: .init(major: 1, minor: 7), headers: [("Host", "a")]
        ),
        ValidFixture(
            name: "custom method token", input: "PURGE /c HTTP/1.1\nHost: a\n\n".crlf,
            method: "PURGE", target: "/c", path: "/c", headers: [("Host", "a")]
        ),
    ]

    static let rejects: [RejectFixture] = [
        RejectFixture(name: "CL and TE together", input: "POST / HTTP/1.1\nHost: a\nContent-Length: 3\nTransfer-Encoding: chunked\n\n".crlf, error: .contentLengthWithTransferEncoding),
        RejectFixture(name: "duplicate Content-Length", input: "POST / HTTP/1.1\nHost: a\nContent-Length: 3\nContent-Length: 3\n\nabc".crlf, error: .duplicateContentLength),
        RejectFixture(name: "Content-Length list", input: "POST / HTTP/1.1\nHost: a\nContent-Length: 3, 3\n\nabc".crlf, error: .invalidContentLength),
        RejectFixture(name: "negative Content-Length", input: "POST / HTTP/1.1\nHost: a\nContent-Length: -1\n\n".crlf, error: .invalidContentLength),
        RejectFixture(name: "non-numeric Content-Length", input: "POST / HTTP/1.1\nHost: a\nContent-Length: 1a\n\n".crlf, error: .invalidContentLength),
        RejectFixture(name: "overflowing Content-Length", input: "POST / HTTP/1.1\nHost: a\nContent-Length: 99999999999999999999999\n\n".crlf, error: .invalidContentLength),
        RejectFixture(name: "empty Content-Length", input: "POST / HTTP/1.1\nHost: a\nContent-Length:\n\n".crlf, error: .invalidContentLength),
        RejectFixture(name: "TE gzip only", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\n\n".crlf, error: .chunkedNotFinal),
        RejectFixture(name: "TE chunked not last", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, gzip\n\n".crlf, error: .chunkedNotFinal),
        RejectFixture(name: "TE chunked twice", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked\n\n".crlf, error: .chunkedNotFinal),
        RejectFixture(name: "TE gzip then chunked (not implemented)", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\n\n".crlf, error: .unsupportedTransferCoding),
        RejectFixture(name: "TE in HTTP/1.0", input: "POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n".crlf, error: .transferEncodingInHTTP10),
        RejectFixture(name: "chunk size not hex", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\nzz\n".crlf, error: .invalidChunkSize),
        RejectFixture(name: "chunk size empty", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n\nabc".crlf, error: .invalidChunkSize),
        RejectFixture(name: "chunk size overflow", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\nffffffffffffffffff\n".crlf, error: .invalidChunkSize),
        RejectFixture(name: "chunk size with sign", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n+5\nhello\n0\n\n".crlf, error: .invalidChunkSize),
        RejectFixture(name: "chunk data too long", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\nabcd\n0\n\n".crlf, error: .invalidChunkTerminator),
        RejectFixture(name: "chunk size bare LF", input: Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n".utf8), error: .invalidChunkSize),
        RejectFixture(name: "chunk extension with control byte", input: Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a\u{01}\r\nabc\r\n0\r\n\r\n".utf8), error: .invalidChunkExtension),
        RejectFixture(name: "chunked body over limit", input: ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n300\n" + String(repeating: "a", count: 768) + "\n300\n" + String(repeating: "a", count: 768) + "\n0\n\n").crlf, error: .bodyTooLarge),
        RejectFixture(name: "trailer starting with space", input: "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n0\n folded\n\n".crlf, error: .invalidTrailer),
        RejectFixture(name: "bare LF in request line", input: Array("GET / HTTP/1.1\nHost: a\r\n\r\n".utf8), error: .bareLF),
        RejectFixture(name: "bare LF in headers", input: Array("GET / HTTP/1.1\r\nHost: a\n\r\n".utf8), error: .bareLF),
        RejectFixture(name: "bare CR in header", input: Array("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n".utf8), error: .bareCR),
        RejectFixture(name: "obs-fold", input: "GET / HTTP/1.1\nHost: a\nX-A: b\n c\n\n".crlf, error: .obsFold),
        RejectFixture(name: "whitespace before colon", input: "GET / HTTP/1.1\nHost : a\n\n".crlf, error: .whitespaceBeforeColon),
        RejectFixture(name: "header without colon", input: "GET / HTTP/1.1\nHost: a\nNoColon\n\n".crlf, error: .invalidHeaderName),
        RejectFixture(name: "empty header name", input: "GET / HTTP/1.1\nHost: a\n: v\n\n".crlf, error: .invalidHeaderName),
        RejectFixture(name: "non-token header name", input: "GET / HTTP/1.1\nHost: a\nX(A): v\n\n".crlf, error: .invalidHeaderName),
        RejectFixture(name: "NUL in header value", input: Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{0}b\r\n\r\n".utf8), error: .invalidHeaderValue),
        RejectFixture(name: "CTL in header value", input: Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{1b}b\r\n\r\n".utf8), error: .invalidHeaderValue),
        RejectFixture(name: "DEL in header value", input: Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{7f}b\r\n\r\n".utf8), error: .invalidHeaderValue),
        RejectFixture(name: "NUL in request line", input: Array("GET /\u{0} HTTP/1.1\r\nHost: a\r\n\r\n".utf8), error: .invalidRequestLine),
        RejectFixture(name: "CTL in target", input: Array("GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n".utf8), error: .invalidRequestLine),
        RejectFixture(name: "missing Host in 1.1", input: "GET / HTTP/1.1\nAccept: */*\n\n".crlf, error: .missingHost),
        RejectFixture(name: "duplicate Host", input: "GET / HTTP/1.1\nHost: a\nHost: b\n\n".crlf, error: .duplicateHost),
        RejectFixture(name: "HTTP/2.0", input: "GET / HTTP/2.0\nHost: a\n\n".crlf, error: .versionNotSupported),
        RejectFixture(name: "HTTP/0.9 style", input: "GET / HTTP/0.9\nHost: a\n\n".crlf, error: .versionNotSupported),
        RejectFixture(name: "lower-case version", input: "GET / http/1.1\nHost: a\n\n".crlf, error: .invalidVersion),
        RejectFixture(name: "version with extra digits", input: "GET / HTTP/1.10\nHost: a\n\n".crlf, error: .invalidVersion),
        RejectFixture(name: "missing version", input: "GET /\nHost: a\n\n".crlf, error: .invalidRequestLine),
        RejectFixture(name: "double space", input: "GET  / HTTP/1.1\nHost: a\n\n".crlf, error: .invalidRequestLine),
        RejectFixture(name: "tab separator", input: "GET\t/ HTTP/1.1\nHost: a\n\n".crlf, error: .invalidRequestLine),
        RejectFixture(name: "non-token method", input: "G(T / HTTP/1.1\nHost: a\n\n".crlf, error: .invalidMethod),
        RejectFixture(name: "relative target", input: "GET a/b HTTP/1.1\nHost: a\n\n".crlf, error: .invalidTarget),
        RejectFixture(name: "bad percent escape", input: "GET /a%zz HTTP/1.1\nHost: a\n\n".crlf, error: .invalidTarget),
        RejectFixture(name: "asterisk with GET", input: "GET * HTTP/1.1\nHost: a\n\n".crlf, error: .invalidTarget),
        RejectFixture(name: "request line too long", input: ("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\nHost: a\n\n").crlf, error: .requestLineTooLong),
        RejectFixture(name: "headers too large", input: ("GET / HTTP/1.1\nHost: a\nX-Big: " + String(repeating: "b", count: 600) + "\n\n").crlf, error: .headersTooLarge),
        RejectFixture(name: "too many headers", input: ("GET / HTTP/1.1\nHost: a\n" + String(repeating: "X-A: 1\n", count: 11) + "\n").crlf, error: .tooManyHeaders),
        RejectFixture(name: "Content-Length over limit", input: "POST / HTTP/1.1\nHost: a\nContent-Length: 1025\n\n".crlf, error: .bodyTooLarge),
        RejectFixture(name: "too many leading empty lines", input: "\n\n\n\n\nGET / HTTP/1.1\nHost: a\n\n".crlf, error: .invalidRequestLine),
    ]

    /// Small limits so the limit fixtures stay small.
    static let limits: HTTPRequestParser.Limits = {
        var limits = HTTPRequestParser.Limits()
        limits.maxRequestLineBytes = 256
        limits.maxHeaderBytes = 512
        limits.maxHeaderCount = 10
        limits.maxBodyBytes = 1024
        return limits
    }()
}
