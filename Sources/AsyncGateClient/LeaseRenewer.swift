import Foundation

/// Keeps one lease alive while its handler runs: renews every `interval` (half the TTL by
/// default), sooner after a transient failure. A renewal the server rejects as invalid means the
/// lease is gone — the task is cancelled, since another worker may hold it now. Hitting the
/// renewal-count or lifetime limit just stops renewing: the handler may still finish in time.
final class LeaseRenewer: @unchecked Sendable {
    // @unchecked: `done` is guarded by `condition`.
    private let context: TaskContext
    private let client: AsyncGateClient
    private let interval: Double
    private let extendBy: Int
    private let log: WorkerLog
    private let condition = NSCondition()
    private var done = false
    private var exited = false

    init(context: TaskContext, client: AsyncGateClient, interval: Double, extendBy: Int, log: @escaping WorkerLog) {
        self.context = context
        self.client = client
        self.interval = max(0.05, interval)
        self.extendBy = extendBy
        self.log = log
    }

    func start() {
        let thread = Thread { [self] in
            self.loop()
            self.condition.lock()
            self.exited = true
            self.condition.broadcast()
            self.condition.unlock()
        }
        thread.name = "asyncgate-lease-renewer"
        thread.start()
    }

    /// Stops renewing and waits for an in-progress renewal to return, so that no renewal races the
    /// completion that follows.
    func stop() {
        condition.lock()
        done = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        let lease = context.lease
        let meta = ["task.id": lease.taskID.uuidString.lowercased(), "lease.id": lease.leaseID.uuidString.lowercased()]
        var wait = interval
        while sleep(wait) {
            if context.isCancelled { return }
            do throws(AsyncGateError) {
                let expires = try client.renewLease(lease, extendBySeconds: extendBy)
                log(.debug, "lease renewed", meta.merging(["lease.expires_at": RFC3339.format(expires)]) { $1 })
                wait = interval
            } catch {
                switch error.code {
                case .leaseInvalidOrExpired, .taskNotFound, .invalidTransition:
                    log(.warning, "lease lost: cancelling the task", meta.merging(["error": "\(error)"]) { $1 })
                    context.cancel(.leaseLost)
                    return
                case .leaseRenewalLimit, .leaseLifetimeLimit:
                    log(.warning, "lease cannot be renewed further; the task must finish before it expires",
                        meta.merging(["error": "\(error)"]) { $1 })
                    return
                default:
                    log(.warning, "lease renewal failed; retrying", meta.merging(["error": "\(error)"]) { $1 })
                    wait = min(interval, 2)
                }
            }
        }
    }

    /// False once stopped (or the task cancelled).
    private func sleep(_ seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !done {
            if !condition.wait(until: deadline) { break }
        }
        return !done && !context.isCancelled
    }
}
