/// One parsed request, body included (de-chunked).
public struct HTTPRequest: Sendable {
    /// The method token as sent, e.g. `GET` (methods are case-sensitive).
    public var method: String
    /// The raw request-target as sent.
    public var target: String
    /// The percent-decoded path without the query.
    public var path: String
    /// The raw query string (after `?`), `""` if none.
    public var query: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// `ip:port` of the peer (`[v6]:port` for IPv6).
    public var remoteAddress: String
    /// The client's `X-Request-ID` when it is 1...128 chars of `[A-Za-z0-9._-]`, else a fresh random id.
    public var requestID: String

    /// Builds a request from a raw target (path and query are derived from it). Meant for tests and
    /// for callers that synthesise requests; the server builds requests through its parser.
    public init(
        method: String,
        target: String,
        version: HTTPVersion = .init(major: 1, minor: 1),
        headers: HTTPHeaders = .init(),
        body: [UInt8] = [],
        remoteAddress: String = "",
        requestID: String = ""
    ) {
        let split = RequestTarget.split(Array(target.utf8))
        self.init(
            method: method, target: target,
            path: split?.path ?? target, query: split?.query ?? "",
            version: version, headers: headers, body: body,
            remoteAddress: remoteAddress, requestID: requestID
        )
    }

    init(
        method: String, target: String, path: String, query: String, version: HTTPVersion,
        headers: HTTPHeaders, body: [UInt8], remoteAddress: String, requestID: String
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }
}
