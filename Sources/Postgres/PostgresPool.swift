import CLibPQ
import Foundation
import Logging

/// A bounded pool of `PostgresConnection`s for synchronous callers.
///
/// Connections are opened lazily, at most `size` of them. A borrower waits (up to its timeout)
/// for a free one. A connection that comes back broken, or whose borrower failed with a
/// connection error, is closed and its slot freed, so the pool heals after a server restart or a
/// `pg_terminate_backend` without anyone noticing more than one failed call.
public final class PostgresPool: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`.
    private let conninfo: String
    private let logger: Logger
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var borrowed = 0
    private var closed = false

    public let size: Int
    /// Runs once on every new connection before it is lent out (e.g. `SET ROLE`).
    private let onConnect: (@Sendable (PostgresConnection) throws -> Void)?

    /// Whether borrowed connections drop their prepared statements from time to time and as
    /// they work (`PostgresConnection.refreshPlansIfDue`). For pools that force generic plans: such a plan
    /// is made once, at a statement's first execution — on a new deployment, against empty tables,
    /// where every index looks as cheap as any other — and kept. Measured: a server whose plans were
    /// made on empty tables looked tasks up through `tasks_by_status` (a scan of the tenant's whole
    /// range) instead of the primary key, 0.9 ms instead of 0.2 ms per complete; and a batch
    /// complete planned while `leases` was nearly empty scanned all of the tenant's leases, 118 ms
    /// per batch by the end of a drain.
    public let refreshPlans: Bool

    public init(conninfo: String, size: Int, logger: Logger, refreshPlans: Bool = false,
                onConnect: (@Sendable (PostgresConnection) throws -> Void)? = nil) {
        precondition(size > 0, "pool size must be positive")
        self.conninfo = conninfo
        self.size = size
        self.logger = logger
        self.refreshPlans = refreshPlans
        self.onConnect = onConnect
    }

    deinit {
        idle.forEach { $0.close() }
    }

    /// Connections currently lent out.
    public var inUse: Int {
        condition.lock()
        defer { condition.unlock() }
        return borrowed
    }

    /// Connections currently open (idle + in use).
    public var openConnections: Int {
        condition.lock()
        defer { condition.unlock() }
        return opened
    }

    /// Lends a connection to `body` for its duration.
    ///
    /// Waits up to `timeout` seconds for a free slot, then throws `.poolTimeout`; throws
    /// `.poolClosed` after `close()`. Do not keep the connection beyond `body`.
    @discardableResult
    public func withConnection<T>(timeout: Double = 10, _ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try borrow(timeout: timeout)
        let value: T
        do {
            value = try body(connection)
        } catch {
            let broken = (error as? PostgresError)?.isConnectionError ?? false
            giveBack(connection, discard: broken)
            throw error
        }
        giveBack(connection, discard: false)
        return value
    }

    /// Closes idle connections now and borrowed ones when they come back; later borrows throw.
    public func close() {
        condition.lock()
        closed = true
        let toClose = idle
        idle.removeAll()
        opened -= toClose.count
        condition.broadcast()
        condition.unlock()
        toClose.forEach { $0.close() }
    }

    // MARK: Borrowing

    private enum Slot {
        case existing(PostgresConnection)
        case new
    }

    private func borrow(timeout: Double) throws -> PostgresConnection {
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        while true {
            switch try reserveSlot(until: deadline) {
            case .existing(let connection):
                // A connection can die while idle; find out now rather than in the caller's query.
                if connection.hasBeenClosedByServer() {
                    logger.debug("discarding idle connection closed by the server")
                    giveBack(connection, discard: true)
                    continue
                }
                if refreshPlans {
                    do {
                        try connection.refreshPlansIfDue()
                    } catch {
                        logger.debug("discarding a connection whose plan refresh failed", metadata: ["error": "\(error)"])
                        giveBack(connection, discard: true)
                        continue
                    }
                }
                return connection
            case .new:
                do {
                    let connection = try PostgresConnection.connect(conninfo, logger: logger)
                    do {
                        try onConnect?(connection)
                    } catch {
                        connection.close()
                        throw error
                    }
                    return connection
                } catch {
                    releaseSlot()
                    throw error
                }
            }
        }
    }

    private func reserveSlot(until deadline: Date) throws -> Slot {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if closed {
                throw PostgresError(code: .poolClosed, message: "connection pool is closed")
            }
            if let connection = idle.popLast() {
                borrowed += 1
                return .existing(connection)
            }
            if opened < size {
                opened += 1
                borrowed += 1
                return .new
            }
            if !condition.wait(until: deadline) && Date() >= deadline {
                throw PostgresError(
                    code: .poolTimeout,
                    message: "no connection free within the borrow timeout (pool size \(size), all in use)"
                )
            }
        }
    }

    private func releaseSlot() {
        condition.lock()
        opened -= 1
        borrowed -= 1
        condition.signal()
        condition.unlock()
    }

    /// Returns a connection to the pool in a clean state, or closes it.
    private func giveBack(_ connection: PostgresConnection, discard: Bool) {
        var keep = !discard && !connection.isBroken && reset(connection)
        condition.lock()
        borrowed -= 1
        if closed { keep = false }
        if keep {
            idle.append(connection)
        } else {
            opened -= 1
        }
        condition.signal()
        condition.unlock()
        if !keep { connection.close() }
    }

    /// Undoes what a borrower may have left behind: an open transaction, LISTENs.
    private func reset(_ connection: PostgresConnection) -> Bool {
        do {
            if connection.transactionStatus != PQTRANS_IDLE {
                logger.warning("connection returned to the pool inside a transaction; rolling back")
                try connection.execute("ROLLBACK")
                connection.savepointDepth = 0
            }
            try connection.unlistenAll()
            return connection.transactionStatus == PQTRANS_IDLE
        } catch {
            logger.debug("discarding connection that could not be reset", metadata: ["postgres.error": "\(error)"])
            return false
        }
    }
}
