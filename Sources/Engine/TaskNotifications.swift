import Foundation
import Logging
import Postgres
import Synchronization

/// Listens on the `asyncgate_tasks` channel with one dedicated connection (not from the pool) and
/// turns notifications into wake-ups for parked claims. Reconnects with backoff after failures,
/// and wakes every waiter after a reconnect (notifications sent meanwhile are lost).
public final class TaskNotifications: Sendable {
    public static let channel = "asyncgate_tasks"

    private let conninfo: String
    private let waiters: ClaimWaiters
    private let logger: Logger
    private let running = Atomic<Bool>(true)

    public init(conninfo: String, waiters: ClaimWaiters, logger: Logger) {
        self.conninfo = conninfo
        self.waiters = waiters
        self.logger = logger
    }

    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "asyncgate.notifications"
        thread.start()
    }

    public func stop() { running.store(false, ordering: .relaxed) }

    /// Payload format written by `TaskAnnouncer`: "<tenant uuid> <task type>".
    static func parse(_ payload: String) -> (UUID, String?)? {
        let parts = payload.split(separator: " ", maxSplits: 1)
        guard let first = parts.first, let tenant = UUID(uuidString: String(first)) else { return nil }
        return (tenant, parts.count > 1 ? String(parts[1]) : nil)
    }

    private func loop() {
        var backoff = 0.1
        while running.load(ordering: .relaxed) {
            do {
                let conn = try PostgresConnection.connect(conninfo, logger: logger)
                defer { conn.close() }
                try conn.listen(Self.channel)
                backoff = 0.1
                waiters.notifyAll()
                while running.load(ordering: .relaxed) {
                    for n in try conn.waitForNotifications(timeout: 0.5) {
                        if let (tenant, type) = Self.parse(n.payload) { waiters.notify(tenant: tenant, type: type) }
                    }
                }
            } catch {
                // the database going away during shutdown is expected, not worth a warning
                guard running.load(ordering: .relaxed) else { break }
                logger.warning("task notification listener failed; retrying", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
    }
}
