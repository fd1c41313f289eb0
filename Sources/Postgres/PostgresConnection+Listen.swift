import CLibPQ
import Foundation

extension PostgresConnection {
    /// `LISTEN "channel"`; the name is quoted by libpq, so any string is safe.
    public func listen(_ channel: String) throws {
        try execute("LISTEN \(try quotedIdentifier(channel))")
        listeningChannels.insert(channel)
    }

    public func unlisten(_ channel: String) throws {
        try execute("UNLISTEN \(try quotedIdentifier(channel))")
        listeningChannels.remove(channel)
    }

    /// Drops every LISTEN, so a pooled connection does not keep collecting notifications.
    func unlistenAll() throws {
        guard !listeningChannels.isEmpty else { return }
        try execute("UNLISTEN *")
        listeningChannels.removeAll()
    }

    /// Returns notifications already received, or waits up to `timeout` seconds (poll on the
    /// socket) for the first ones. May return an empty array. Throws `.connectionBroken` if the
    /// connection is lost while waiting.
    public func waitForNotifications(timeout: Double) throws -> [PostgresNotification] {
        let handle = try liveHandle()
        try consumeInput(handle)
        var received = drainNotifications(handle)
        guard received.isEmpty else { return received }

        let socket = PQsocket(handle)
        guard socket >= 0 else { throw PostgresError(code: .connectionBroken, message: "connection has no socket") }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeout) * 1e9)
        while received.isEmpty {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { break }
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw PostgresError(code: .connectionBroken, message: "poll failed: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { break }
            try consumeInput(handle)
            received = drainNotifications(handle)
        }
        return received
    }

    private func consumeInput(_ handle: OpaquePointer) throws {
        if PQconsumeInput(handle) == 0 || isBroken {
            throw PostgresError(
                code: .connectionBroken,
                message: Self.errorMessage(handle) ?? "connection lost while waiting for notifications"
            )
        }
    }

    private func drainNotifications(_ handle: OpaquePointer) -> [PostgresNotification] {
        var received: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            received.append(PostgresNotification(
                channel: String(cString: notify.pointee.relname),
                payload: String(cString: notify.pointee.extra),
                pid: notify.pointee.be_pid
            ))
            PQfreemem(notify)
        }
        return received
    }

    private func quotedIdentifier(_ name: String) throws -> String {
        let handle = try liveHandle()
        guard !name.utf8.contains(0), let quoted = PQescapeIdentifier(handle, name, name.utf8.count) else {
            throw PostgresError(code: .misuse, message: "invalid channel name")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// True if the server has closed the connection since its last use (e.g. pg_terminate_backend,
    /// restart). Reads without blocking; pending notifications stay queued.
    ///
    /// A terminated backend sends a FATAL message and then closes the socket. One read returns the
    /// message; only a second one sees end-of-file, which is what marks the connection bad.
    func hasBeenClosedByServer() -> Bool {
        guard let handle else { return true }
        for _ in 0..<2 where PQconsumeInput(handle) == 0 {
            return true
        }
        return isBroken
    }
}
