import Foundation

/// Group commit for single-item requests: concurrent calls with the same key (tenant, and for
/// claims the filter) are run together as ONE batch — one statement, one round trip, one commit —
/// instead of one transaction each.
///
/// Natural batching, no timer: a call runs at once, alone, while fewer than `lanes` batches of its
/// key are in flight; otherwise it queues, and when a batch ends the next batch takes everything
/// that queued meanwhile (up to `maxBatch`), in arrival order. An idle server therefore answers
/// exactly as without coalescing (a batch of one, no added wait); under load the batch grows with
/// the backlog, and the work per commit is shared.
///
/// Two ways in:
/// - `submit` blocks its thread until its call is answered. When the lane passes to a blocked
///   caller, that caller's thread leads the next batch.
/// - `enqueue` returns at once and answers through a completion (the API's request path: the
///   worker thread is free for the next request while the call waits). The next batch of such
///   calls runs on the thread that ran the previous one when that thread was itself an `enqueue`
///   (its own call is answered already), or is handed to the caller's executor otherwise.
/// - `enqueue(callerMayBlock: false)` is for threads that must never wait on the database (the
///   HTTP I/O threads): a call that queues costs them nothing more than the queueing, and a batch
///   such a thread would lead goes to the executor instead. When the executor refuses (the server
///   is at capacity) the batch is answered with `refusal`, which runs no database work.
///
/// The `run` of a batch (every caller passes an equivalent one) gets the items in arrival order
/// and returns one result per item. It decides the batch semantics (see the engine's users: a
/// batch either commits as a whole or is redone item by item, so one item never fails because of
/// another).
final class Coalescer<Key: Hashable & Sendable, Item, Output>: @unchecked Sendable {
    typealias Run = (Key, [Item]) -> [Result<Output, Error>]
    typealias Executor = (@escaping @Sendable () -> Void) -> Bool

    let lanes: Int
    let maxBatch: Int
    /// The answer of a batch that no thread could run (see `enqueue(callerMayBlock:)`); the engine
    /// passes its 503 "at capacity" error.
    let refusal: any Error
    private let lock = NSLock()
    private var queues: [Key: Queue] = [:]

    private final class Ticket {
        let item: Item
        var result: Result<Output, Error>?
        /// `submit`: woken when answered, or when it is to lead `batch`.
        let wake: DispatchSemaphore?
        var batch: [Ticket]?
        /// `enqueue`: how it is answered, and where a batch it heads may run.
        let completion: ((Result<Output, Error>) -> Void)?
        let executor: Executor?
        let run: Run?
        init(_ item: Item) {
            self.item = item; wake = DispatchSemaphore(value: 0); completion = nil; executor = nil; run = nil
        }
        init(_ item: Item, completion: @escaping (Result<Output, Error>) -> Void, executor: @escaping Executor, run: @escaping Run) {
            self.item = item; wake = nil; self.completion = completion; self.executor = executor; self.run = run
        }
    }

    /// A batch passed to another thread (its tickets are only touched by whoever leads it).
    private final class Handoff: @unchecked Sendable {
        let batch: [Ticket]
        let run: Run
        init(batch: [Ticket], run: @escaping Run) { self.batch = batch; self.run = run }
    }

    private struct Queue {
        var waiting: [Ticket] = []
        var inFlight = 0
    }

    private var batches = 0
    private var items = 0

    init(lanes: Int, maxBatch: Int, refusal: any Error = CancellationError()) {
        precondition(lanes >= 1 && maxBatch >= 1)
        self.lanes = lanes
        self.maxBatch = maxBatch
        self.refusal = refusal
    }

    /// Runs the call (alone or in a batch) and returns its result; blocks until then.
    func submit(_ key: Key, _ item: Item, run: Run) throws -> Output {
        let ticket = Ticket(item)
        withoutActuallyEscaping(run) { run in
            if admit(key, ticket) {
                lead(key, [ticket], run, own: ticket)
            } else {
                ticket.wake!.wait()
                if let batch = ticket.batch { lead(key, batch, run, own: ticket) }
            }
        }
        return try ticket.result!.get()
    }

    /// Runs the call (alone or in a batch) and answers through `completion`, on whichever thread
    /// ran the batch. Returns at once when the call had to queue. With `callerMayBlock` false the
    /// calling thread never runs a batch: one it would lead goes to `executor`.
    func enqueue(_ key: Key, _ item: Item, executor: @escaping Executor, callerMayBlock: Bool = true, run: @escaping Run,
                 completion: @escaping (Result<Output, Error>) -> Void) {
        let ticket = Ticket(item, completion: completion, executor: executor, run: run)
        if admit(key, ticket) { lead(key, [ticket], run, own: nil, mayBlock: callerMayBlock) }
    }

    /// True when the call takes a free lane now; otherwise it is queued.
    private func admit(_ key: Key, _ ticket: Ticket) -> Bool {
        lock.lock(); defer { lock.unlock() }
        var queue = queues[key] ?? Queue()
        defer { queues[key] = queue }
        if queue.inFlight < lanes {
            queue.inFlight += 1
            return true
        }
        queue.waiting.append(ticket)
        return false
    }

    /// Runs batches on this thread (its lane is already counted in flight) for as long as it should,
    /// answering each; then passes the lane on, or gives it back. `own` is the blocked caller whose
    /// thread this is (nil for an `enqueue`, whose call is answered by its completion). A thread
    /// that may not block (`mayBlock` false) hands every batch to its head's executor, and only
    /// answers here, with `refusal`, the batches the executor refuses.
    private func lead(_ key: Key, _ first: [Ticket], _ firstRun: @escaping Run, own: Ticket?, mayBlock: Bool = true) {
        var batch = first
        var run = firstRun
        if !mayBlock {
            guard let refused = passToExecutor(key, batch, run) else { return }
            run = refused
        }
        while true {
            let results = run(key, batch.map(\.item))
            precondition(results.count == batch.count, "a coalesced batch must answer every item")
            for (ticket, result) in zip(batch, results) { ticket.result = result }
            lock.lock()
            if batch.count > 1 {
                batches += 1
                items += batch.count
            }
            var queue = queues[key]!
            var next: [Ticket] = []
            if !queue.waiting.isEmpty {
                // taken here, under the lock, so two batches ending together never share waiters
                let n = min(maxBatch, queue.waiting.count)
                next = Array(queue.waiting.prefix(n))
                queue.waiting.removeFirst(n)
            } else {
                queue.inFlight -= 1
            }
            if queue.inFlight == 0 && queue.waiting.isEmpty { queues[key] = nil } else { queues[key] = queue }
            lock.unlock()
            for ticket in batch where ticket !== own { answer(ticket) }
            guard let head = next.first else { return }
            if let wake = head.wake {
                head.batch = next   // a blocked caller leads the next batch on its own thread
                wake.signal()
                return
            }
            let nextRun = head.run!
            if own == nil && mayBlock { batch = next; run = nextRun; continue }   // this thread is free: go on
            guard let refused = passToExecutor(key, next, nextRun) else { return }
            batch = next
            run = mayBlock ? nextRun : refused   // the executor is full: run it here, or refuse it
        }
    }

    /// Passes `batch` to its head's executor, to be led there; nil when it took it, else the run
    /// that refuses the batch (for a thread that may not run it).
    private func passToExecutor(_ key: Key, _ batch: [Ticket], _ run: @escaping Run) -> Run? {
        let handed = Handoff(batch: batch, run: run)
        if batch[0].executor!({ [self] in lead(key, handed.batch, handed.run, own: nil) }) { return nil }
        let refusal = self.refusal
        return { _, items in items.map { _ in .failure(refusal) } }
    }

    private func answer(_ ticket: Ticket) {
        if let completion = ticket.completion { completion(ticket.result!) } else { ticket.wake!.signal() }
    }

    /// Batches of `key` running and calls queued behind them (for tests).
    func state(_ key: Key) -> (inFlight: Int, waiting: Int) {
        lock.lock(); defer { lock.unlock() }
        return (queues[key]?.inFlight ?? 0, queues[key]?.waiting.count ?? 0)
    }

    /// Batches of two or more calls, and the calls they carried (for metrics).
    var counts: (batches: Int, items: Int) {
        lock.lock(); defer { lock.unlock() }
        return (batches, items)
    }
}
