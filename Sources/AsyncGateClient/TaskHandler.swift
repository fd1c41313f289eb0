import Foundation
import JSON

/// Runs one type of task. Called on its own thread; may block. Return the outcome, or throw a
/// `HandlerFailure` (any other error counts as a retryable failure). Long handlers should check
/// `context.isCancelled` (or use `context.sleep`) so that a lost lease or a shutdown stops them.
public protocol TaskHandler: Sendable {
    func handle(_ context: TaskContext) throws -> TaskOutcome
}

/// A successful result. Give `artifacts` (or `deliveryProof`) so the result is locatable: without
/// either the owner's obligation stays open (SPEC §5).
public struct TaskOutcome: Sendable {
    public var result: JSON
    public var artifacts: JSON?
    public var deliveryProof: JSON?
    public init(result: JSON, artifacts: JSON? = nil, deliveryProof: JSON? = nil) {
        self.result = result
        self.artifacts = artifacts
        self.deliveryProof = deliveryProof
    }
}

/// A handler's failure: `retryable` ones requeue the task while attempts remain (transient
/// trouble: a timeout, a refused connection); the others are terminal (a bad payload will not
/// get better by trying again).
public struct HandlerFailure: Error, Sendable, CustomStringConvertible {
    public var kind: String
    public var message: String
    public var retryable: Bool
    public var details: JSON?

    public init(kind: String, message: String, retryable: Bool, details: JSON? = nil) {
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.details = details
    }

    public static func badPayload(_ message: String) -> HandlerFailure {
        HandlerFailure(kind: "bad_payload", message: message, retryable: false)
    }

    public static func transient(_ message: String, details: JSON? = nil) -> HandlerFailure {
        HandlerFailure(kind: "transient", message: message, retryable: true, details: details)
    }

    /// What goes into the `fail` call's `error` object.
    public var errorJSON: JSON {
        var o: [String: JSON] = ["kind": .string(kind), "message": .string(message)]
        if let details { o["details"] = details }
        return .object(o)
    }

    public var description: String { "\(kind): \(message)" }
}

/// Why a running task was told to stop.
public enum CancellationReason: String, Sendable {
    /// The lease could not be renewed: another worker may own the task now.
    case leaseLost = "lease_lost"
    /// The worker is shutting down and the grace period ran out.
    case shutdown
    /// The worker was killed (tests): nothing more is sent to the server.
    case killed
}

/// What a handler gets: the claimed task, progress reporting, and cancellation.
public final class TaskContext: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `condition`.
    public let task: ClaimedTask
    public let lease: LeaseRef
    let client: AsyncGateClient
    private let condition = NSCondition()
    private var reason: CancellationReason?

    init(task: ClaimedTask, workerID: String, client: AsyncGateClient) {
        self.task = task
        self.lease = task.lease(workerID: workerID)
        self.client = client
    }

    public var payload: JSON { task.payload }

    public var cancellationReason: CancellationReason? {
        condition.lock()
        defer { condition.unlock() }
        return reason
    }

    public var isCancelled: Bool { cancellationReason != nil }

    func cancel(_ why: CancellationReason) {
        condition.lock()
        if reason == nil || why == .killed { reason = why }
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps up to `seconds`; returns false (early) if the task was cancelled.
    @discardableResult
    public func sleep(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: max(0, seconds))
        condition.lock()
        defer { condition.unlock() }
        while reason == nil {
            if !condition.wait(until: deadline) { return reason == nil }
        }
        return false
    }

    /// Best effort: progress is informational, so a failed report is not the handler's failure.
    public func reportProgress(_ progress: JSON) {
        guard !isCancelled else { return }
        try? client.reportProgress(lease, progress: progress)
    }
}
