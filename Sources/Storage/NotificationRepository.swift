import Postgres

/// SQL for `NOTIFY`: task announcements to the other server instances.
public struct NotificationRepository {
    let db: PostgresConnection
    public init(_ db: PostgresConnection) { self.db = db }

    /// Sends every payload on `channel` in one statement (delivered when it commits).
    public func notify(channel: String, payloads: [String]) throws {
        guard !payloads.isEmpty else { return }
        _ = try db.query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [channel, PGArray(payloads)])
    }
}
