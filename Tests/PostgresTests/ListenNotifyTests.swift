import Foundation
import Postgres
import Testing

@Suite("LISTEN / NOTIFY")
struct ListenNotifyTests {
    /// Waits (bounded) until at least `count` notifications arrived.
    private func receive(_ connection: PostgresConnection, count: Int) throws -> [PostgresNotification] {
        var received: [PostgresNotification] = []
        let deadline = Date(timeIntervalSinceNow: 10)
        while received.count < count, Date() < deadline {
            received += try connection.waitForNotifications(timeout: 1)
        }
        return received
    }

    @Test func notificationsAreDelivered() throws {
        let conninfo = try makeDatabase()
        let listener = try connect(conninfo)
        let notifier = try connect(conninfo)
        defer { listener.close(); notifier.close() }
        let channel = "tasks \"ready\"; DROP TABLE x"  // quoted safely, still one channel
        try listener.listen(channel)
        #expect(try listener.waitForNotifications(timeout: 0).isEmpty)

        try notifier.query("SELECT pg_notify($1, $2)", [channel, "payload ✓"])
        let received = try receive(listener, count: 1)
        #expect(received == [PostgresNotification(channel: channel, payload: "payload ✓", pid: notifier.backendPID)])
    }

    @Test func notificationsQueuedDuringAQueryAreNotLost() throws {
        let conninfo = try makeDatabase()
        let listener = try connect(conninfo)
        let notifier = try connect(conninfo)
        defer { listener.close(); notifier.close() }
        try listener.listen("jobs")
        try notifier.transaction { tx in
            for n in 1...3 { try tx.query("SELECT pg_notify('jobs', $1)", [String(n)]) }
        }
        try notifier.execute("NOTIFY jobs, 'last'")
        // Notifications that arrive while the listener runs a query are queued inside libpq; the
        // next wait must return them (the wait below is bounded, so delivery order decides nothing).
        _ = try listener.query("SELECT pg_sleep(0.05)")
        let received = try receive(listener, count: 4)
        #expect(received.map(\.payload) == ["1", "2", "3", "last"])
    }

    @Test func unlistenStopsDelivery() throws {
        let conninfo = try makeDatabase()
        let listener = try connect(conninfo)
        let notifier = try connect(conninfo)
        defer { listener.close(); notifier.close() }
        try listener.listen("a")
        try listener.unlisten("a")
        try listener.listen("b")
        try notifier.execute("NOTIFY a, 'dropped'; NOTIFY b, 'kept'")
        let received = try receive(listener, count: 1)
        #expect(received.map(\.channel) == ["b"])
        #expect(try listener.waitForNotifications(timeout: 0.05).isEmpty)
    }
}
