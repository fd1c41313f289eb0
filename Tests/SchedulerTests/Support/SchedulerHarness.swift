import AsyncGateClient
import Foundation
import JSON
import Logging
import Postgres
import Scheduler
import TestSupport

/// A clock tests move by hand.
final class ManualClock: SchedulerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }
    func set(_ date: Date) {
        lock.lock()
        current = date
        lock.unlock()
    }
}

/// A real server over a fresh database, plus what scheduler tests need around it.
final class SchedulerHarness: @unchecked Sendable {
    let fixture: ServerFixture
    let client: AsyncGateClient
    private var pools: [PostgresPool] = []
    static let t0 = Date(timeIntervalSince1970: 1_900_000_000)  // 2030-03-17T17:46:40Z, whole seconds
    static let alice = Principal.agent("alice")

    init() throws {
        fixture = try ServerFixture()
        var config = ClientConfiguration(server: ServerAddress(host: "127.0.0.1", port: fixture.port))
        config.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05)
        client = AsyncGateClient(configuration: config)
    }

    deinit { pools.forEach { $0.close() } }

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    /// A scheduler process: its own pool and client, as a separate process would have.
    func scheduler(clock: any SchedulerClock, workerID: String = "scheduler",
                   crash: (@Sendable (SchedulerCrashPoint) throws -> Void)? = nil) -> Scheduler {
        let pool = PostgresPool(conninfo: fixture.engineFixture.conninfo, size: 2, logger: TestPostgres.logger)
        pools.append(pool)
        var config = SchedulerConfiguration()
        config.workerID = workerID
        config.dispatchRetryDelay = 1
        return Scheduler(client: client, pool: pool, configuration: config, clock: clock, logger: Self.quiet, crashHook: crash)
    }

    /// Submits a control task as `owner`; returns its id (the default schedule id of a create).
    func control(_ type: String, _ payload: JSON, owner: Principal = alice) throws -> UUID {
        try client.createTask(NewTask(type: type, payload: payload), owner: owner).taskID
    }

    /// The run times of the tasks a schedule created, from their idempotency keys, sorted.
    func firedRuns(_ scheduleID: UUID) throws -> [String] {
        let prefix = "schedule:\(scheduleID.uuidString.lowercased()):"
        return try fixture.engineFixture.sql("SELECT idempotency_key FROM tasks WHERE idempotency_key LIKE $1 ORDER BY 1", [prefix + "%"])
            .compactMap { $0.string(0)?.dropFirst(prefix.count) }.map(String.init)
    }

    func count(_ sql: String, _ binds: [String] = []) throws -> Int {
        try fixture.engineFixture.sql(sql, binds).first?.int(0) ?? -1
    }

    /// Failures are provoked on purpose here; their log lines would only be noise.
    static let quiet: Logger = {
        var logger = Logger(label: "asyncgate.scheduler.test")
        logger.logLevel = .critical
        return logger
    }()

    static func iso(_ seconds: Double) -> String { RFC3339.format(at(seconds)) }
}

/// Crash hooks for tests.
enum Crash {
    static func afterTaskCreated(_ point: SchedulerCrashPoint) throws {
        if case .afterTaskCreated = point { throw SimulatedCrash(point) }
    }
    static func beforePlanCommit(_ point: SchedulerCrashPoint) throws {
        if case .beforePlanCommit = point { throw SimulatedCrash(point) }
    }
    static func afterControlApplied(_ point: SchedulerCrashPoint) throws {
        if case .afterControlApplied = point { throw SimulatedCrash(point) }
    }
}
