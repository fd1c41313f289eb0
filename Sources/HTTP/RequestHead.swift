/// What the parser learned from a request head: the request (body still empty) and its framing.
struct RequestHead: Sendable {
    enum Framing: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    var request: HTTPRequest
    var framing: Framing
    /// Whether the client allows the connection to stay open after this request.
    var keepAlive: Bool
    /// `Expect: 100-continue` was sent with a body.
    var expectsContinue: Bool
}
