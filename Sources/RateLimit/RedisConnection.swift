/// One authenticated, database-selected connection speaking RESP2, request then reply.
///
/// `@unchecked Sendable` because the pool hands each connection to exactly one thread at a time.
/// Any thrown error leaves the stream in an unknown position (a reply may still be in flight), so
/// the owner must discard the connection; an error *reply* (`.error`) leaves it usable.
final class RedisConnection: @unchecked Sendable {
    private let socket: RedisSocket
    private var buffer: [UInt8] = []
    private let parser = RESPParser()

    private init(socket: RedisSocket) { self.socket = socket }

    static func open(_ url: RedisURL, deadline: Double) throws(RateLimitError) -> RedisConnection {
        let connection = RedisConnection(socket: try RedisSocket.connect(host: url.host, port: url.port, deadline: deadline))
        if let password = url.password {
            let arguments = url.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            // Redis's AUTH errors (WRONGPASS, ...) never echo the password, so the reply is safe to keep.
            try connection.expectOK(arguments, what: "AUTH", deadline: deadline)
        }
        if url.database != 0 {
            try connection.expectOK(["SELECT", String(url.database)], what: "SELECT", deadline: deadline)
        }
        return connection
    }

    /// Sends one command and returns its reply (which may be an `.error` reply).
    func send(_ arguments: [String], deadline: Double) throws(RateLimitError) -> RESPValue {
        try socket.write(RESPEncoder.command(arguments), deadline: deadline)
        return try readReply(deadline: deadline)
    }

    func close() { socket.close() }

    private func readReply(deadline: Double) throws(RateLimitError) -> RESPValue {
        while true {
            if case .complete(let value, let consumed) = try parser.parse(buffer) {
                buffer.removeFirst(consumed)
                return value
            }
            try socket.read(into: &buffer, deadline: deadline)
        }
    }

    private func expectOK(_ arguments: [String], what: String, deadline: Double) throws(RateLimitError) {
        let reply = try send(arguments, deadline: deadline)
        switch reply {
        case .simpleString("OK"):
            return
        case .error(let message):
            throw RateLimitError(.serverError, "\(what) failed: \(message)")
        default:
            throw RateLimitError(.protocolViolation, "unexpected reply to \(what)")
        }
    }
}
