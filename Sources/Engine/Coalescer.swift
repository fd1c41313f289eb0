import Foundation

/// Group commit for single-item requests: concurrent calls with the same key (tenant, and for
/// claims the filter) are run together as ONE batch — one statement or pipeline, one round trip,
/// one commit — instead of one transaction each.
///
/// Natural batching, no timer: a call runs at once, alone, while fewer than `lanes` batches of its
/// key are in flight; otherwise it queues, and when a batch ends the oldest queued call leads the
/// next one, taking everything that queued meanwhile (up to `maxBatch`). An idle server therefore
/// answers exactly as without coalescing (a batch of one, no added wait); under load the batch
/// grows with the backlog, and the work per commit is shared.
///
/// The leader's `run` (every caller passes an equivalent one) gets the items in arrival order and returns one result per item. It decides
/// the batch semantics (see the engine's users: a batch either commits as a whole or is redone item
/// by item, so one item never fails because of another). Callers block (the API's worker threads);
/// a leader runs the batch on its own thread.
final class Coalescer<Key: Hashable & Sendable, Item, Output>: @unchecked Sendable {
    typealias Run = (Key, [Item]) -> [Result<Output, Error>]

    let lanes: Int
    let maxBatch: Int
    private let lock = NSLock()
    private var queues: [Key: Queue] = [:]

    private final class Ticket {
        let item: Item
        var result: Result<Output, Error>?
        /// Set when this waiter is to lead the next batch (itself first, then those behind it).
        var batch: [Ticket]?
        let wake = DispatchSemaphore(value: 0)
        init(_ item: Item) { self.item = item }
    }

    private struct Queue {
        var waiting: [Ticket] = []
        var inFlight = 0
    }

    /// Batches of two or more calls, and the calls they carried (for metrics).
    private(set) var batches = 0
    private(set) var items = 0

    init(lanes: Int, maxBatch: Int) {
        precondition(lanes >= 1 && maxBatch >= 1)
        self.lanes = lanes
        self.maxBatch = maxBatch
    }

    func submit(_ key: Key, _ item: Item, run: Run) throws -> Output {
        let ticket = Ticket(item)
        lock.lock()
        var queue = queues[key] ?? Queue()
        if queue.inFlight < lanes {
            queue.inFlight += 1
            queues[key] = queue
            lock.unlock()
            lead(key, [ticket], run)
        } else {
            queue.waiting.append(ticket)
            queues[key] = queue
            lock.unlock()
            ticket.wake.wait()
            if let batch = ticket.batch { lead(key, batch, run) }
        }
        return try ticket.result!.get()
    }

    /// Runs one batch (its lane is already counted in flight), answers its tickets, and hands the
    /// lane to the oldest waiter, if any.
    private func lead(_ key: Key, _ batch: [Ticket], _ run: Run) {
        let results = run(key, batch.map(\.item))
        precondition(results.count == batch.count, "a coalesced batch must answer every item")
        for (ticket, result) in zip(batch, results) { ticket.result = result }
        lock.lock()
        if batch.count > 1 {
            batches += 1
            items += batch.count
        }
        var queue = queues[key]!
        var next: Ticket?
        if let first = queue.waiting.first {
            // the lane passes to the oldest waiter, with the batch it leads (taken here, under the
            // lock, so two batches ending together never hand out the same waiters)
            let n = min(maxBatch, queue.waiting.count)
            first.batch = Array(queue.waiting.prefix(n))
            queue.waiting.removeFirst(n)
            next = first
        } else {
            queue.inFlight -= 1
        }
        if queue.inFlight == 0 && queue.waiting.isEmpty { queues[key] = nil } else { queues[key] = queue }
        lock.unlock()
        // the first ticket is the leader's own (it is not waiting); wake the others
        for ticket in batch.dropFirst() { ticket.wake.signal() }
        next?.wake.signal()
    }

    /// Batches of `key` running and calls queued behind them (for tests).
    func state(_ key: Key) -> (inFlight: Int, waiting: Int) {
        lock.lock(); defer { lock.unlock() }
        return (queues[key]?.inFlight ?? 0, queues[key]?.waiting.count ?? 0)
    }

    var counts: (batches: Int, items: Int) {
        lock.lock(); defer { lock.unlock() }
        return (batches, items)
    }
}
