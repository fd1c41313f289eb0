import CLibPQ
import Foundation
import Logging

/// One synchronous libpq connection.
///
/// Not thread-safe: exactly one thread may use it at a time (the pool hands each borrower its own).
/// Every call blocks the calling thread until the server answers, so callers run on a bounded
/// worker pool, never on a cooperative (Swift concurrency) thread.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked: ownership is handed between threads by the pool, which serialises access.
    var handle: OpaquePointer?
    let logger: Logger
    /// SQL text -> prepared statement name. Bounded: see `maxCachedStatements`.
    var statements: [String: String] = [:]
    var nextStatementNumber = 1
    var savepointDepth = 0
    /// Round trips to the server so far (each simple query, prepare, execute or pipeline sync):
    /// lets tests pin down how many an operation costs.
    public internal(set) var roundTrips = 0
    /// How many of the open savepoints are pipelined (their queued statements go out with RELEASE).
    var pipelinedSavepointDepth = 0
    /// True between `transaction`'s start and its COMMIT/ROLLBACK.
    var transactionOpen = false
    /// Steps held back to ride along with the next round trip: a deferred BEGIN (pipelined
    /// transactions) and statements queued with `queryBeforeCommit`. Sent, in order, in front of
    /// whatever the connection sends next.
    var pendingSteps: [PipelineStep] = []
    var listeningChannels: Set<String> = []
    /// Session-level state callers track to avoid re-sending settings that are already in effect
    /// (e.g. the tenant for row-level security). Cleared with the connection.
    public var sessionState: [String: String] = [:]

    /// Callers that build SQL dynamically (e.g. varying IN lists) must not grow the server-side
    /// statement cache without bound.
    static let maxCachedStatements = 512

    /// When the prepared statements (and so the plans PostgreSQL cached for them) are next dropped
    /// by `refreshPlansIfDue`: after a time and after a number of round trips, whichever comes
    /// first, both doubling per refresh. See `PostgresPool.refreshPlans`.
    var nextPlanRefresh = ContinuousClock.now + PostgresConnection.firstPlanRefresh
    var planRefreshInterval = PostgresConnection.firstPlanRefresh
    var nextPlanRefreshRoundTrips = PostgresConnection.firstPlanRefreshRoundTrips
    var planRefreshRoundTrips = PostgresConnection.firstPlanRefreshRoundTrips
    static let firstPlanRefresh = Duration.seconds(2)
    static let maxPlanRefreshInterval = Duration.seconds(600)
    static let firstPlanRefreshRoundTrips = 100
    static let maxPlanRefreshRoundTrips = 1_000_000

    /// Drops every prepared statement when its time has come — 2 s or 100 round trips after
    /// connecting, then after 4 s or 200 more, 8 s or 400 more, … up to every 10 min or 1M round
    /// trips — so that the next executions plan again with the table sizes and statistics of now:
    /// tables grow with the work a connection does, fastest while a deployment is new. (Was 5 s,
    /// then fourfold: a 10 s cycle benchmark then ran most of its batch completions on plans made
    /// on near-empty tables, walking the tenant's whole range.) Only between transactions; returns
    /// whether it did.
    @discardableResult
    public func refreshPlansIfDue(now: ContinuousClock.Instant = .now) throws -> Bool {
        guard now >= nextPlanRefresh || roundTrips >= nextPlanRefreshRoundTrips,
              transactionStatus == PQTRANS_IDLE, pendingSteps.isEmpty else { return false }
        if !statements.isEmpty {
            try execute("DEALLOCATE ALL")
            statements.removeAll()
        }
        planRefreshInterval = min(planRefreshInterval * 2, Self.maxPlanRefreshInterval)
        nextPlanRefresh = now + planRefreshInterval
        planRefreshRoundTrips = min(planRefreshRoundTrips * 2, Self.maxPlanRefreshRoundTrips)
        nextPlanRefreshRoundTrips = roundTrips + planRefreshRoundTrips
        return true
    }

    private init(handle: OpaquePointer, logger: Logger) {
        self.handle = handle
        self.logger = logger
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection and pins the session settings every decoder relies on.
    public static func connect(_ conninfo: String, logger: Logger) throws -> PostgresConnection {
        guard let handle = PQconnectdb(conninfo) else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection", context: "connect")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = errorMessage(handle) ?? "connection failed"
            PQfinish(handle)
            throw PostgresError(code: .connectionFailed, message: message, context: "connect")
        }
        let connection = PostgresConnection(handle: handle, logger: logger)
        connection.installNoticeProcessor()
        do {
            // Row decoders assume these (timestamptz text "…+00", UTF-8 text).
            try connection.execute(
                "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET client_encoding = 'UTF8'; SET application_name = 'asyncgate'"
            )
        } catch var error as PostgresError {
            connection.close()
            error.context = "connect"
            throw error
        }
        logger.debug("postgres connection opened", metadata: ["postgres.pid": "\(connection.backendPID)"])
        return connection
    }

    /// True once the connection is closed or libpq has seen it fail; it must then be discarded.
    public var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// The server process id serving this connection (for `pg_terminate_backend`, logs).
    public var backendPID: Int32 {
        guard let handle else { return 0 }
        return PQbackendPID(handle)
    }

    public func close() {
        guard let handle else { return }
        PQfinish(handle)
        self.handle = nil
        statements.removeAll()
    }

    // MARK: Statements

    /// Runs `sql` with `$n` parameters over the extended protocol, text format.
    ///
    /// The statement is parsed once per connection (`PQprepare`, named s1, s2, …, cached by SQL
    /// text) and then only bound and executed.
    @discardableResult
    public func query(_ sql: String, _ binds: [(any PostgresBindable)?] = []) throws -> PostgresResult {
        let values = try bindTexts(binds)
        if !pendingSteps.isEmpty {
            // A deferred BEGIN (or queued statements) goes out in the same round trip.
            let steps = takePendingSteps() + [.statement(sql, values)]
            return try runPipeline(steps).last!
        }
        do {
            return try executePrepared(sql, values)
        } catch let error as PostgresError where isStaleStatement(error) {
            // The server forgot or invalidated our statement (DEALLOCATE, schema change).
            // Re-prepare once, but only outside a transaction: inside one it has already failed.
            statements[sql] = nil
            guard transactionStatus == PQTRANS_IDLE else { throw error }
            logger.debug("re-preparing stale statement", metadata: ["postgres.sqlstate": "\(error.sqlState ?? "")"])
            return try executePrepared(sql, values)
        }
    }

    /// Runs one or more statements over the simple-query protocol (migrations, SET, LISTEN).
    /// Takes no parameters: never build `sql` from untrusted input.
    public func execute(_ sql: String) throws {
        try flushPendingSteps()
        let handle = try liveHandle()
        roundTrips += 1
        _ = try check(PQexec(handle, sql))
    }

    var transactionStatus: PGTransactionStatusType {
        guard let handle else { return PQTRANS_UNKNOWN }
        return PQtransactionStatus(handle)
    }

    private func executePrepared(_ sql: String, _ values: [String?]) throws -> PostgresResult {
        let handle = try liveHandle()
        let name = try preparedName(for: sql, handle)
        roundTrips += 1
        let result = withCStringArray(values) { pointers in
            PQexecPrepared(handle, name, Int32(pointers.count), pointers, nil, nil, 0)
        }
        return try check(result)
    }

    private func preparedName(for sql: String, _ handle: OpaquePointer) throws -> String {
        if let name = statements[sql] { return name }
        if statements.count >= Self.maxCachedStatements, transactionStatus == PQTRANS_IDLE {
            try execute("DEALLOCATE ALL")
            statements.removeAll()
        }
        let name = "s\(nextStatementNumber)"
        nextStatementNumber += 1
        // nParams 0: the server infers parameter types from the statement.
        roundTrips += 1
        _ = try check(PQprepare(handle, name, sql, 0, nil))
        statements[sql] = name
        return name
    }

    func bindTexts(_ binds: [(any PostgresBindable)?]) throws -> [String?] {
        try binds.enumerated().map { index, bind in
            guard let text = bind?.postgresText else { return nil }
            // libpq sends text parameters as C strings: a NUL would silently truncate the value.
            if text.utf8.contains(0) {
                throw PostgresError(
                    code: .queryFailed, sqlState: "22021",
                    message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold"
                )
            }
            return text
        }
    }

    func isStaleStatement(_ error: PostgresError) -> Bool {
        // 26000: prepared statement does not exist; 0A000: cached plan must not change result type.
        error.sqlState == "26000" || (error.sqlState == "0A000" && error.message.contains("cached plan"))
    }

    // MARK: Results and errors

    func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionBroken, message: "connection is closed")
        }
        return handle
    }

    /// Wraps a successful result or throws the server's error (PQclear-ing the result).
    func check(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else {
            throw PostgresError(
                code: isBroken ? .connectionBroken : .queryFailed,
                message: handle.flatMap(Self.errorMessage) ?? "no result from libpq"
            )
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(handle: result)
        default:
            let error = serverError(result)
            PQclear(result)
            throw error
        }
    }

    func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let sqlState = field(CLIBPQ_DIAG_SQLSTATE)
        let message = field(CLIBPQ_DIAG_MESSAGE_PRIMARY)
            ?? PQresultErrorMessage(result).map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
            ?? "unknown error"
        return PostgresError(
            code: isBroken ? .connectionBroken : .queryFailed,
            sqlState: sqlState,
            message: message,
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL),
            hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
            table: field(CLIBPQ_DIAG_TABLE_NAME),
            column: field(CLIBPQ_DIAG_COLUMN_NAME),
            constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME)
        )
    }

    static func errorMessage(_ handle: OpaquePointer) -> String? {
        guard let text = PQerrorMessage(handle) else { return nil }
        let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? nil : message
    }

    /// libpq prints NOTICE/WARNING to stderr by default; route them to the logger instead.
    private func installNoticeProcessor() {
        let context = Unmanaged.passUnretained(self).toOpaque()
        PQsetNoticeProcessor(handle, { context, message in
            guard let context, let message else { return }
            let connection = Unmanaged<PostgresConnection>.fromOpaque(context).takeUnretainedValue()
            let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
            connection.logger.debug("postgres notice", metadata: ["postgres.notice": "\(text)"])
        }, context)
    }
}

/// Calls `body` with a C array of NUL-terminated strings (nil entries stay NULL = SQL NULL).
func withCStringArray<R>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0)! } }
    defer { pointers.forEach { free($0) } }
    return body(pointers.map { $0.map { UnsafePointer($0) } })
}
