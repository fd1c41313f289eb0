import Synchronization

/// Keeps up to `maxIdle` open connections for reuse. Concurrent checks beyond that open extra
/// connections, which are closed when handed back; the HTTP layer's worker count bounds concurrency.
final class RedisConnectionPool: Sendable {
    let url: RedisURL
    let maxIdle: Int
    private let idle = Mutex<[RedisConnection]>([])

    init(url: RedisURL, maxIdle: Int) {
        self.url = url
        self.maxIdle = maxIdle
    }

    deinit { closeAll() }

    /// Runs `body` on a connection. A connection whose use throws is closed, never reused. If a
    /// *pooled* connection fails at the socket level, the others are probably dead too (Redis
    /// restarted): drop them all and retry once on a fresh connection within the same deadline.
    func withConnection<T>(deadline: Double, _ body: (RedisConnection) throws(RateLimitError) -> T) throws(RateLimitError) -> T {
        if let pooled = idle.withLock({ $0.popLast() }) {
            do {
                let result = try body(pooled)
                checkIn(pooled)
                return result
            } catch {
                pooled.close()
                guard error.code == .connectionFailed else { throw error }
                closeAll()
            }
        }
        let fresh = try RedisConnection.open(url, deadline: deadline)
        do {
            let result = try body(fresh)
            checkIn(fresh)
            return result
        } catch {
            fresh.close()
            throw error
        }
    }

    func closeAll() {
        let all = idle.withLock { connections in
            defer { connections.removeAll() }
            return connections
        }
        for connection in all { connection.close() }
    }

    var idleCount: Int { idle.withLock { $0.count } }

    private func checkIn(_ connection: RedisConnection) {
        let kept = idle.withLock { connections in
            guard connections.count < maxIdle else { return false }
            connections.append(connection)
            return true
        }
        if !kept { connection.close() }
    }
}
