import Foundation
import JSON

/// A TASKEE process in a box: claims tasks of the types it has handlers for, runs each on its own
/// thread, marks it running, renews its lease while the handler works, and completes or fails it.
///
/// Lifecycle: `run()` blocks until the worker stops. `stop()` (e.g. on SIGTERM) stops claiming,
/// lets in-flight tasks finish for up to `shutdownGrace`, then cancels the rest and leaves their
/// leases to expire — the server requeues them without counting an attempt. `kill()` is the test
/// stand-in for SIGKILL: the worker vanishes without another word to the server.
public final class Worker: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `condition`.
    public let configuration: WorkerConfiguration
    let client: AsyncGateClient
    let handlers: [String: any TaskHandler]
    let log: WorkerLog
    private let condition = NSCondition()
    private var state = State.idle
    private var active: [UUID: TaskContext] = [:]
    private var counters = Counters()

    enum State { case idle, running, stopping, killed, stopped }

    /// What the worker has done so far.
    public struct Counters: Sendable, Equatable {
        public var claimed = 0
        public var completed = 0
        public var failed = 0
        /// Tasks whose lease was lost or that were cancelled at shutdown (left to expire).
        public var abandoned = 0
    }

    public init(client: AsyncGateClient, configuration: WorkerConfiguration, handlers: [String: any TaskHandler],
                log: @escaping WorkerLog = { _, _, _ in }) {
        self.client = client
        self.configuration = configuration
        self.handlers = handlers
        self.log = log
    }

    public var stats: Counters { withLock { counters } }

    /// Tasks currently being handled.
    public var inFlight: Int { withLock { active.count } }

    /// Claims and handles tasks until `stop()` or `kill()`; returns when done.
    public func run() {
        guard withLock({ () -> Bool in
            guard state == .idle else { return false }
            state = .running
            return true
        }) else { return }
        log(.info, "worker started", ["worker.id": configuration.workerID, "worker.types": handlers.keys.sorted().joined(separator: ","),
                                      "worker.concurrency": "\(configuration.concurrency)"])
        var backoff = configuration.errorBackoff
        while let free = waitForCapacity() {
            var request = ClaimRequest(workerID: configuration.workerID, acceptTypes: handlers.keys.sorted(),
                                       maxTasks: min(10, free), leaseTTLSeconds: configuration.leaseTTLSeconds)
            request.workerInstanceID = configuration.instanceID
            request.capabilities = configuration.capabilities
            request.waitSeconds = configuration.claimWaitSeconds
            let claimed: [ClaimedTask]
            do {
                claimed = try client.claim(request)
                backoff = configuration.errorBackoff
            } catch {
                log(.warning, "claim failed", ["error": "\(error)"])
                pause(backoff)
                backoff = min(backoff * 2, 30)
                continue
            }
            if claimed.isEmpty {
                pause(configuration.idlePollInterval)
                continue
            }
            for task in claimed { start(task) }
        }
        drain()
    }

    /// Graceful stop: no more claims; in-flight tasks get `shutdownGrace` to finish.
    public func stop() {
        withLock {
            if state == .running || state == .idle { state = .stopping }
            condition.broadcast()
        }
    }

    /// Test stand-in for SIGKILL: stop at once, cancel every handler, and send nothing more.
    public func kill() {
        let contexts = withLock { () -> [TaskContext] in
            state = .killed
            condition.broadcast()
            return Array(active.values)
        }
        contexts.forEach { $0.cancel(.killed) }
    }

    var isKilled: Bool { withLock { state == .killed } }

    // MARK: Loop helpers

    /// Free slots once there is at least one, or nil when the worker should stop claiming.
    private func waitForCapacity() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while state == .running && active.count >= configuration.concurrency { condition.wait() }
        guard state == .running else { return nil }
        return configuration.concurrency - active.count
    }

    /// Sleeps `seconds` unless the worker is told to stop first.
    private func pause(_ seconds: Double) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while state == .running {
            if !condition.wait(until: deadline) { return }
        }
    }

    private func start(_ task: ClaimedTask) {
        let context = TaskContext(task: task, workerID: configuration.workerID, client: client)
        let killed = withLock { () -> Bool in
            counters.claimed += 1
            active[task.taskID] = context
            return state == .killed
        }
        if killed { context.cancel(.killed) }
        let thread = Thread { [self] in
            self.execute(context)
            self.finished(context)
        }
        thread.name = "asyncgate-worker-task"
        thread.start()
    }

    private func finished(_ context: TaskContext) {
        withLock {
            active[context.task.taskID] = nil
            condition.broadcast()
        }
    }

    func count(_ update: (inout Counters) -> Void) {
        withLock { update(&counters) }
    }

    /// Waits for in-flight tasks: up to the grace period, then cancels them and waits briefly for
    /// the handlers to notice (a handler that ignores cancellation is left behind; its lease expires).
    private func drain() {
        let killed = withLock { state == .killed }
        if !killed {
            log(.info, "worker stopping: waiting for in-flight tasks", ["worker.in_flight": "\(inFlight)"])
            if !waitForIdle(until: Date(timeIntervalSinceNow: configuration.shutdownGrace)) {
                let contexts = withLock { Array(active.values) }
                log(.warning, "shutdown grace expired: cancelling in-flight tasks, their leases will expire",
                    ["worker.in_flight": "\(contexts.count)"])
                contexts.forEach { $0.cancel(.shutdown) }
                _ = waitForIdle(until: Date(timeIntervalSinceNow: 5))
            }
        }
        withLock {
            if state != .killed { state = .stopped }
            condition.broadcast()
        }
        log(.info, "worker stopped", ["worker.id": configuration.workerID])
    }

    private func waitForIdle(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !active.isEmpty {
            if !condition.wait(until: deadline) { return active.isEmpty }
        }
        return true
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }
}
