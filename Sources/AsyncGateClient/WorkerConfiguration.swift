import Foundation

public enum WorkerLogLevel: Int, Sendable, Comparable {
    case debug, info, warning, error
    public static func < (a: WorkerLogLevel, b: WorkerLogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Where the worker reports what it does (this library has no logging dependency; the CLI bridges
/// this to swift-log). Metadata keys are dotted (`task.id`, `lease.id`); payloads are never logged.
public typealias WorkerLog = @Sendable (_ level: WorkerLogLevel, _ message: String, _ metadata: [String: String]) -> Void

public struct WorkerConfiguration: Sendable {
    public var workerID: String
    public var instanceID: String?
    public var capabilities: [String]?
    /// Tasks handled at once.
    public var concurrency = 1
    /// Requested lease TTL (the server clamps it to 10...max).
    public var leaseTTLSeconds = 60
    /// Pause between renewals; nil = half the lease TTL.
    public var renewInterval: Double?
    /// Pause after an empty claim.
    public var idlePollInterval: Double = 1
    /// Long-poll seconds sent with claims (needs server support); nil = plain polling.
    public var claimWaitSeconds: Double?
    /// Pause after a failed claim (doubled while failures continue, up to 30 s).
    public var errorBackoff: Double = 1
    /// After `stop()`, in-flight tasks get this long to finish; after that they are cancelled and
    /// their leases left to expire (which requeues them without using up an attempt).
    public var shutdownGrace: Double = 30

    public init(workerID: String) {
        self.workerID = workerID
    }
}
