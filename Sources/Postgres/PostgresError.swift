/// An error from the PostgreSQL layer.
///
/// Modelled on postgres-nio's `PSQLError`: an extensible `Code` says what went wrong on our side,
/// `sqlState` keeps the server's SQLSTATE so callers can branch on it (unique violation,
/// serialization failure), and `description` is deliberately redacted: it never contains bind
/// values, conninfo strings or the server's DETAIL (which can echo row values).
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// Stable, extensible error category. Compare with the static members; never parse `rawValue`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        public init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// Opening a connection failed (server down, bad conninfo, authentication).
        public static let connectionFailed = Code("connectionFailed")
        /// The server rejected a statement; see `sqlState`.
        public static let queryFailed = Code("queryFailed")
        /// No pooled connection became free within the borrow timeout.
        public static let poolTimeout = Code("poolTimeout")
        /// The pool was closed.
        public static let poolClosed = Code("poolClosed")
        /// A result value could not be decoded into the requested Swift type.
        public static let decodingFailed = Code("decodingFailed")
        /// The connection was lost (or closed) while in use; it must be discarded.
        public static let connectionBroken = Code("connectionBroken")
        /// The caller misused the API (e.g. savepoint outside a transaction). A programming error.
        public static let misuse = Code("misuse")

        public var description: String { rawValue }
    }

    public var code: Code
    /// Five-character SQLSTATE from the server, e.g. "23505".
    public var sqlState: String?
    /// The server's primary message (or ours). Never contains bind values we sent.
    public var message: String
    public var detail: String?
    public var hint: String?
    public var table: String?
    public var column: String?
    public var constraint: String?
    /// What we were doing when it failed, e.g. "BEGIN", "COMMIT", "ROLLBACK", "connect".
    /// Keeps begin/body/rollback/commit failures of a transaction apart.
    public var context: String?

    public init(
        code: Code,
        sqlState: String? = nil,
        message: String,
        detail: String? = nil,
        hint: String? = nil,
        table: String? = nil,
        column: String? = nil,
        constraint: String? = nil,
        context: String? = nil
    ) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.table = table
        self.column = column
        self.constraint = constraint
        self.context = context
    }

    /// SQLSTATE 23505.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// SQLSTATE 40001 (serialization_failure) or 40P01 (deadlock_detected): retry the transaction.
    public var isSerializationFailure: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// True when a value was text PostgreSQL cannot store (U+0000 in text or jsonb): the caller's
    /// input, refused before anything was written.
    public var isUnstorableText: Bool { sqlState == "22021" || sqlState == "22P05" }

    /// True when the connection this error came from must not be reused.
    public var isConnectionError: Bool {
        code == .connectionBroken || code == .connectionFailed || (sqlState?.hasPrefix("08") ?? false)
    }

    public var description: String {
        var text = "PostgresError.\(code.rawValue)"
        if let sqlState { text += " [\(sqlState)]" }
        if let context { text += " during \(context)" }
        return text + ": \(message)"
    }
}
