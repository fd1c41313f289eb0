import Foundation
import Synchronization

/// The last database health check and when it was taken.
final class HealthCache: Sendable {
    private let last = Mutex<(healthy: Bool, at: Double)?>(nil)
    private let ttl: Double

    init(ttlSeconds: Double) { ttl = ttlSeconds }

    /// The cached result while it is younger than the TTL.
    func fresh(now: Double = Date().timeIntervalSince1970) -> Bool? {
        last.withLock { entry in
            guard let entry, now - entry.at < ttl else { return nil }
            return entry.healthy
        }
    }

    @discardableResult
    func store(_ healthy: Bool, now: Double = Date().timeIntervalSince1970) -> Bool {
        last.withLock { $0 = (healthy, now) }
        return healthy
    }
}
