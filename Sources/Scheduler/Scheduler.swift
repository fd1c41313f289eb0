import AsyncGateClient
import Foundation
import JSON
import Logging
import Postgres

/// The scheduler TASKEE (SPEC §9).
///
/// Each pass: (1) claims `schedule.*` control tasks and applies them; (2) plans due schedules —
/// in one transaction per batch it locks them (`FOR UPDATE SKIP LOCKED`), decides which run_ats
/// fire under the misfire policy, writes those runs to `schedule_runs` and advances `next_run_at`;
/// (3) dispatches planned runs whose (jittered) time has come, creating each task through the REST
/// API with `idempotency_key = schedule:{id}:{run_at}`.
///
/// Exactly once per run_at: a run is planned at most once (the pointer moves in the same
/// transaction that writes it, under the row lock), and a planned run becomes at most one task
/// (the idempotency key: re-dispatching after a crash gets the original task back). So a process
/// killed at any point, or two schedulers at once, neither lose nor repeat a run.
public final class Scheduler: @unchecked Sendable {
    // @unchecked: `stopped` is guarded by `condition`; everything else is immutable.
    public let configuration: SchedulerConfiguration
    let client: AsyncGateClient
    let pool: PostgresPool
    let clock: any SchedulerClock
    let logger: Logger
    let crashHook: (@Sendable (SchedulerCrashPoint) throws -> Void)?
    private let condition = NSCondition()
    private var stopped = false

    public init(client: AsyncGateClient, pool: PostgresPool, configuration: SchedulerConfiguration = SchedulerConfiguration(),
                clock: any SchedulerClock = SystemClock(), logger: Logger,
                crashHook: (@Sendable (SchedulerCrashPoint) throws -> Void)? = nil) {
        self.client = client
        self.pool = pool
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.crashHook = crashHook
    }

    /// One pass over control tasks, due schedules and pending runs. Errors of one stage are
    /// logged and do not stop the others; only a crash-hook error propagates.
    @discardableResult
    public func runPass() throws -> SchedulerPassReport {
        var report = SchedulerPassReport()
        try stage("control") { report.controlTasks = try processControlTasks() }
        try stage("plan") {
            let (planned, skipped, anomalies) = try planDueSchedules()
            report.planned = planned
            report.skipped = skipped
            report.anomalies = anomalies
        }
        try stage("dispatch") { report.dispatched = try dispatchPendingRuns() }
        return report
    }

    /// Runs passes until `stop()`.
    public func run() {
        logger.info("scheduler started", metadata: ["worker.id": "\(configuration.workerID)",
                                                     "tenant.id": "\(configuration.tenantID.uuidString.lowercased())"])
        while !isStopped {
            var busy = false
            do {
                let report = try runPass()
                busy = report.dispatched >= configuration.dispatchBatch || report.controlTasks >= configuration.controlBatch
            } catch {
                logger.error("scheduler pass failed", metadata: ["error": "\(error)"])
            }
            if !busy { sleep(untilNextWorkOrAtMost: configuration.pollInterval) }
        }
        logger.info("scheduler stopped")
    }

    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    private func sleep(untilNextWorkOrAtMost limit: Double) {
        var seconds = limit
        if let next = try? nextWorkAt() {
            seconds = min(limit, max(0.01, next.timeIntervalSince(clock.now())))
        }
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            if !condition.wait(until: deadline) { return }
        }
    }

    /// The earliest moment planning or dispatch has something to do.
    func nextWorkAt() throws -> Date? {
        try withTransaction { db in
            let due = try ScheduleRepository(db: db, tenantID: configuration.tenantID).earliestDue()
            let pending = try ScheduleRunRepository(db: db, tenantID: configuration.tenantID).earliestPending()
            return [due, pending].compactMap { $0 }.min()
        }
    }

    /// Runs `body` in a transaction bound to this scheduler's tenant.
    func withTransaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try pool.withConnection { conn in
            try conn.transaction { db in
                try ScheduleRepository.bindTenant(db, configuration.tenantID)
                return try body(db)
            }
        }
    }

    private func stage(_ name: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let crash as SimulatedCrash {
            throw crash
        } catch {
            logger.error("scheduler \(name) stage failed", metadata: ["error": "\(error)"])
        }
    }
}

/// What a crash hook throws to make a pass die like a killed process.
public struct SimulatedCrash: Error, Sendable, Equatable {
    public var point: SchedulerCrashPoint
    public init(_ point: SchedulerCrashPoint) { self.point = point }
}
