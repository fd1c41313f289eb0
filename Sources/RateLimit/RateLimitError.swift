/// A rate-limiter error with a stable code. `description` never contains credentials.
public struct RateLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// `REDIS_URL` could not be parsed (thrown by `RedisRateLimiter.init`).
        public static let invalidURL = Code(rawValue: "RATE_LIMIT_INVALID_REDIS_URL")
        /// Name resolution, connect, read or write failed, or the connection closed.
        public static let connectionFailed = Code(rawValue: "REDIS_CONNECTION_FAILED")
        /// The deadline for the whole check passed.
        public static let timedOut = Code(rawValue: "REDIS_TIMEOUT")
        /// Redis answered with bytes that are not valid RESP, or with an unexpected shape.
        public static let protocolViolation = Code(rawValue: "REDIS_PROTOCOL_VIOLATION")
        /// Redis answered with an error reply (`-ERR ...`, `-NOAUTH ...`, ...).
        public static let serverError = Code(rawValue: "REDIS_SERVER_ERROR")
    }

    public var code: Code
    /// Human-readable detail. Built only from non-secret parts (never a password or full URL).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
