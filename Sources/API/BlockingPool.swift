import Foundation
import Synchronization

/// A fixed set of threads for blocking work (engine calls over libpq), sized to the database pool so
/// a request never waits on a connection while holding a thread that another request needs. The
/// queue is bounded: when it is full, `submit` refuses and the caller answers 503 + Retry-After
/// instead of letting memory grow without bound.
final class BlockingPool: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        var stopped = false
    }
    private let state = Mutex(State())
    private let available: DispatchSemaphore
    private let maxQueued: Int
    private let threadCount: Int
    /// Threads currently running (they exit after `stop()`).
    let liveThreads = Atomic<Int>(0)

    init(threads: Int, maxQueued: Int, name: String = "asyncgate.worker") {
        self.maxQueued = maxQueued
        self.threadCount = threads
        available = DispatchSemaphore(value: 0)
        for i in 0..<threads {
            let thread = Thread { [self] in self.run() }
            thread.name = "\(name)-\(i)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queues `work`; false when the queue is full or the pool is stopped.
    func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { s -> Bool in
            guard !s.stopped, s.queue.count - s.head < maxQueued else { return false }
            s.queue.append(work)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    var queued: Int { state.withLock { $0.queue.count - $0.head } }

    /// Refuses new work; the threads finish what is queued, then exit. Idempotent.
    func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard first else { return }
        // One wake-up per thread on top of one per queued item: every thread either takes an item
        // or, finding the queue empty, exits.
        for _ in 0..<threadCount { available.signal() }
    }

    private func run() {
        liveThreads.add(1, ordering: .relaxed)
        defer { liveThreads.subtract(1, ordering: .relaxed) }
        while true {
            available.wait()
            let (work, exit) = state.withLock { s -> ((@Sendable () -> Void)?, Bool) in
                guard s.head < s.queue.count else { return (nil, s.stopped) }
                let w = s.queue[s.head]
                s.head += 1
                if s.head > 1024, s.head * 2 > s.queue.count {
                    s.queue.removeFirst(s.head)
                    s.head = 0
                }
                return (w, false)
            }
            if exit { return }
            work?()
        }
    }
}
