import Domain
import Foundation
import JSON
import Logging
import Postgres
import Storage
import Synchronization

/// The one engine behind both facades (REST and MCP). Every operation runs on the caller's thread
/// (the API's bounded worker pool), borrows one pooled connection, and commits its state change
/// together with its receipts in ONE transaction. Single creates, claims and completions may share
/// that transaction with concurrent ones (group commit, `Coalescer`); their completion-based
/// variants then answer from the thread that ran the batch.
public final class Engine: Sendable {
    public let pool: PostgresPool
    public let configuration: EngineConfiguration
    public let instanceID: String
    let logger: Logger
    let counters = EngineCounters()
    /// Parked long-poll claims (woken by TaskNotifications and a periodic re-check).
    public let waiters: ClaimWaiters
    /// Tells other instances about new tasks (nil with ASYNCGATE_NOTIFY=off).
    let announcer: TaskAnnouncer?
    /// Group commit of single creates, claims and completions (nil: off).
    let creates: Coalescer<UUID, PendingCreate, CreateTaskResult>?
    let claims: Coalescer<ClaimKey, PreparedClaim, [ClaimedTask]>?
    let completions: Coalescer<UUID, PendingCompletion, Void>?

    public init(pool: PostgresPool, configuration: EngineConfiguration, instanceID: String, logger: Logger) {
        self.pool = pool
        self.configuration = configuration
        self.instanceID = instanceID
        self.logger = logger
        self.waiters = ClaimWaiters(recheckInterval: configuration.claimRecheckSeconds)
        self.announcer = configuration.notifyEnabled ? TaskAnnouncer(pool: pool, logger: logger) : nil
        let lanes = configuration.coalesceLanes
        let refusal = Self.atCapacityError
        self.creates = lanes > 0 ? Coalescer(lanes: lanes, maxBatch: Self.maxBatchSize, refusal: refusal) : nil
        self.claims = lanes > 0 ? Coalescer(lanes: lanes, maxBatch: Self.maxBatchSize, refusal: refusal) : nil
        self.completions = lanes > 0 ? Coalescer(lanes: lanes, maxBatch: Self.maxBatchSize, refusal: refusal) : nil
    }

    /// The answer of a call whose blocking work no worker thread could take.
    public static let atCapacityError = EngineError(.unavailable, "server is at capacity, retry shortly")

    /// Runs blocking `work` (database round trips) for an asynchronous call: on the calling thread
    /// when it may block, else on `executor`; answers `atCapacityError` through `fail` when the executor
    /// refuses it.
    func runBlocking(callerMayBlock: Bool, executor: BlockingExecutor, fail: @Sendable (Error) -> Void,
                     _ work: @escaping @Sendable () -> Void) {
        if callerMayBlock { return work() }
        if !executor(work) { fail(Self.atCapacityError) }
    }

    /// Runs `body` in a transaction, retrying a few times on serialization failures / deadlocks
    /// (which roll back completely, so a retry cannot double-apply anything).
    func transaction<T>(tenant: UUID?, _ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection(tenant: tenant) { conn in
            var attempt = 0
            while true {
                do {
                    return try conn.transaction(pipelined: true, body)
                } catch let error as PostgresError where error.isSerializationFailure && attempt < 3 {
                    attempt += 1
                    logger.debug("retrying transaction", metadata: ["db.sqlstate": "\(error.sqlState ?? "")"])
                }
            }
        }
    }

    /// Borrows a connection scoped to `tenant` by row-level security (nil: all tenants, for system
    /// work); pool exhaustion becomes a retryable 503, never an unbounded queue.
    func withConnection<T>(tenant: UUID?, _ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try pool.withConnection(timeout: 10) { conn in
                try TenantScope.apply(conn, tenant: tenant)
                return try body(conn)
            }
        } catch let error as PostgresError where error.code == .poolTimeout || error.code == .poolClosed {
            throw EngineError(.unavailable, "database busy, retry shortly")
        } catch let error as PostgresError where error.code == .connectionFailed || error.code == .connectionBroken {
            logger.error("database connection failure", metadata: ["error": "\(error)"])
            throw EngineError(.unavailable, "database unavailable")
        } catch let error as PostgresError where error.isUnstorableText {
            // text PostgreSQL cannot store (U+0000): the request's fault, and nothing was written
            // (the statement failed, its transaction rolled back). The API refuses such input
            // up front; this covers whatever path it misses.
            throw EngineError.validation("text must not contain U+0000 (NUL): \(error.message)")
        }
    }

    /// `append` for callers that do not need the ids back: the receipts ride along with the
    /// transaction's COMMIT (one round trip less); a failure still rolls the whole transaction back.
    func appendAtCommit(_ db: PostgresConnection, tenant: UUID, _ receipts: [NewReceipt]) throws {
        for r in receipts { try Self.checkReceiptBody(r.body, what: "\(r.type.rawValue) receipt body") }
        try ReceiptRepository(db).appendBeforeCommit(tenantID: tenant, receipts, instance: instanceID)
        counters.receipts.add(receipts.count, ordering: .relaxed)
    }

    /// True when the database answers.
    public func healthCheck() -> Bool {
        do {
            return try pool.withConnection(timeout: 2) { conn in try conn.query("SELECT 1").count == 1 }
        } catch {
            return false
        }
    }

    /// Appends receipts, enforcing the body limit on exactly what is stored (the caller's
    /// transaction then rolls back: an oversized receipt changes nothing).
    func append(_ db: PostgresConnection, tenant: UUID, _ receipts: [NewReceipt]) throws -> [String: UUID] {
        for r in receipts { try Self.checkReceiptBody(r.body, what: "\(r.type.rawValue) receipt body") }
        let ids = try ReceiptRepository(db).append(tenantID: tenant, receipts, instance: instanceID)
        counters.receipts.add(receipts.count, ordering: .relaxed)
        return ids
    }
}

/// Process-local counters for /v1/metrics.
final class EngineCounters: Sendable {
    let tasksCreated = Atomic<Int>(0)
    let tasksClaimed = Atomic<Int>(0)
    let tasksCompleted = Atomic<Int>(0)
    let tasksFailed = Atomic<Int>(0)
    let tasksRequeued = Atomic<Int>(0)
    let tasksCanceled = Atomic<Int>(0)
    let leasesExpired = Atomic<Int>(0)
    let receipts = Atomic<Int>(0)
    let anomalies = Atomic<Int>(0)

    var snapshot: [String: Int] {
        [
            "tasks_created": tasksCreated.load(ordering: .relaxed),
            "tasks_claimed": tasksClaimed.load(ordering: .relaxed),
            "tasks_completed": tasksCompleted.load(ordering: .relaxed),
            "tasks_failed": tasksFailed.load(ordering: .relaxed),
            "tasks_requeued": tasksRequeued.load(ordering: .relaxed),
            "tasks_canceled": tasksCanceled.load(ordering: .relaxed),
            "leases_expired": leasesExpired.load(ordering: .relaxed),
            "receipts_emitted": receipts.load(ordering: .relaxed),
            "anomalies_emitted": anomalies.load(ordering: .relaxed),
        ]
    }
}
