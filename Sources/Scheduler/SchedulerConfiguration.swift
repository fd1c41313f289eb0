import Foundation

public struct SchedulerConfiguration: Sendable {
    /// The tenant whose schedules this process runs (the API key's tenant; in insecure development
    /// mode it is also sent as X-Tenant-ID).
    public var tenantID = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!
    /// The worker id the scheduler claims control tasks as.
    public var workerID = "asyncgate-scheduler"
    public var instanceID: String?
    /// Longest sleep between passes (it wakes earlier for a due run).
    public var pollInterval: Double = 1
    public var leaseTTLSeconds = 60
    /// Control tasks claimed per pass.
    public var controlBatch = 10
    /// Schedules planned per transaction.
    public var planBatch = 100
    /// Runs fired per pass at most (more wait for the next pass).
    public var dispatchBatch = 500
    /// Under catch_up_all, runs planned per schedule per pass (the rest follow in later passes).
    public var maxCatchUpPerPlan = 100
    /// After a transient failure to create a run's task, wait this long before trying it again.
    public var dispatchRetryDelay: Double = 5

    public init() {}
}

/// Points where tests make a scheduler "die" (the hook throws; the pass unwinds like a killed
/// process: the open transaction rolls back and nothing after the point happens).
public enum SchedulerCrashPoint: Sendable, Equatable {
    /// Planning wrote its runs and moved the pointer, but did not commit.
    case beforePlanCommit(scheduleID: UUID)
    /// The run's task exists on the server, but the run is not marked created.
    case afterTaskCreated(scheduleID: UUID, runAt: Date)
    /// A control command was committed, but its control task not completed.
    case afterControlApplied(taskID: UUID)
}

/// What one pass did.
public struct SchedulerPassReport: Sendable, Equatable {
    public var controlTasks = 0
    public var planned = 0
    public var skipped = 0
    public var dispatched = 0
    public var anomalies = 0
    public init() {}
}
