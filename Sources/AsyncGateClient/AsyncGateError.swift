/// A failed AsyncGate call.
///
/// Either the server answered with its JSON error (`code` is the server's stable `error.code`,
/// `status` the HTTP status, `requestID` the id the server logged), or the call failed on the client
/// side (connection, timeout, unreadable response): those codes start with `CLIENT_` and `status` is
/// nil. Compare codes, never messages.
public struct AsyncGateError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }

        // Server codes (SPEC §10); any other code the server sends is kept verbatim.
        public static let validation: Code = "VALIDATION_ERROR"
        public static let invalidParameter: Code = "INVALID_PARAMETER"
        public static let invalidJSON: Code = "INVALID_JSON"
        public static let invalidTenant: Code = "INVALID_TENANT"
        public static let unauthorized: Code = "UNAUTHORIZED"
        public static let forbidden: Code = "FORBIDDEN"
        public static let forbiddenPrincipal: Code = "FORBIDDEN_PRINCIPAL"
        public static let notOwner: Code = "NOT_TASK_OWNER"
        public static let taskNotFound: Code = "TASK_NOT_FOUND"
        public static let receiptNotFound: Code = "RECEIPT_NOT_FOUND"
        public static let notFound: Code = "NOT_FOUND"
        public static let methodNotAllowed: Code = "METHOD_NOT_ALLOWED"
        public static let leaseInvalidOrExpired: Code = "LEASE_INVALID_OR_EXPIRED"
        public static let leaseRenewalLimit: Code = "LEASE_RENEWAL_LIMIT_EXCEEDED"
        public static let leaseLifetimeLimit: Code = "LEASE_LIFETIME_EXCEEDED"
        public static let invalidTransition: Code = "INVALID_STATE_TRANSITION"
        public static let payloadTooLarge: Code = "PAYLOAD_TOO_LARGE"
        public static let receiptTooLarge: Code = "RECEIPT_TOO_LARGE"
        public static let tooManyParents: Code = "TOO_MANY_PARENTS"
        public static let tooManyArtifacts: Code = "TOO_MANY_ARTIFACTS"
        public static let parentNotFound: Code = "PARENT_NOT_FOUND"
        public static let rateLimited: Code = "RATE_LIMITED"
        public static let unavailable: Code = "SERVICE_UNAVAILABLE"
        public static let `internal`: Code = "INTERNAL_ERROR"
        /// An error response whose body carried no `error.code` (e.g. a proxy's HTML page).
        public static let unknownServerError: Code = "UNKNOWN_SERVER_ERROR"

        // Client-side codes.
        /// The server could not be reached or the connection broke.
        public static let connectionFailed: Code = "CLIENT_CONNECTION_FAILED"
        /// No complete response within the call's timeout.
        public static let timeout: Code = "CLIENT_TIMEOUT"
        /// The server answered something that is not the documented response.
        public static let invalidResponse: Code = "CLIENT_INVALID_RESPONSE"
        /// The response body is larger than the configured cap.
        public static let responseTooLarge: Code = "CLIENT_RESPONSE_TOO_LARGE"
        /// The call could not be built (e.g. a bad server URL).
        public static let invalidRequest: Code = "CLIENT_INVALID_REQUEST"
    }

    public var code: Code
    /// HTTP status of a server error; nil for client-side failures.
    public var status: Int?
    public var message: String
    /// The request id (the server's, from the error body, or the one this client sent).
    public var requestID: String?
    /// For client-side failures: true when the request certainly never reached the server (the
    /// connection could not even be opened), so any call may be repeated safely.
    public var requestNotSent: Bool
    /// Seconds the server asked us to wait (`Retry-After`), if any.
    public var retryAfter: Double?

    public init(code: Code, status: Int? = nil, message: String, requestID: String? = nil,
                requestNotSent: Bool = false, retryAfter: Double? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.requestID = requestID
        self.requestNotSent = requestNotSent
        self.retryAfter = retryAfter
    }

    /// Failures that may go away by themselves: transport problems, timeouts, 429, 502–504.
    /// Whether repeating a call is *safe* is a separate question (see `RetryPolicy`).
    public var isTransient: Bool {
        switch code {
        case .connectionFailed, .timeout: return true
        default: break
        }
        guard let status else { return false }
        return status == 429 || status == 502 || status == 503 || status == 504
    }

    public var description: String {
        var text = "\(code.rawValue)"
        if let status { text += " (HTTP \(status))" }
        text += ": \(message)"
        if let requestID { text += " [request \(requestID)]" }
        return text
    }
}
