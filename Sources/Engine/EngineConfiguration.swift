/// Engine limits and defaults (SPEC §7). Populated from ASYNCGATE_* variables by the executable.
public struct EngineConfiguration: Sendable {
    public var defaultLeaseTTLSeconds = 300
    public var maxLeaseTTLSeconds = 1800
    public var minLeaseTTLSeconds = 10
    public var maxLeaseRenewals = 10
    public var maxLeaseLifetimeSeconds = 7200
    public var defaultMaxAttempts = 3
    public var defaultRetryBackoffSeconds = 30
    public var maxRetryBackoffSeconds = 900
    public var leaseSweepIntervalSeconds = 10.0
    public var sweepBatchSize = 500
    /// Reject (instead of stripping parents + anomaly) a completion that is not locatable.
    public var strictLocatability = false
    /// LISTEN/NOTIFY wake-ups for long-poll claims; off = poll only (PgBouncer transaction mode).
    public var notifyEnabled = true
    /// How often a parked claim re-checks without a notification (delays and backoff end by time).
    public var claimRecheckSeconds = 1.0
    public var maxClaimWaitSeconds = 30
    /// Group commit (`Coalescer`): how many batches of single creates, claims or completions per
    /// tenant (and claim filter) may be in flight at once; calls beyond that queue and go together
    /// in the next batch. 0 runs every call on its own.
    public var coalesceLanes = 1
    public var environment = "development"
    public var version = "0.1.0"
    public var receiptMode = "standalone"
    public init() {}
}
