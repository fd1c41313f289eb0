import ArgumentParser
import AsyncGateClient
import Foundation
import Logging
import Postgres
import Scheduler
import Storage

/// `asyncgate scheduler`: the scheduler TASKEE (SPEC §9).
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run the scheduler: applies schedule.create|pause|resume|delete|status tasks and fires due schedules.",
        discussion: """
            State lives in PostgreSQL (the schedules, schedule_runs and schedule_anomalies tables, created by the \
            embedded migrations). Several schedulers may run against the same database. SIGTERM/SIGINT stop it after \
            the current pass. The API key may also come from ASYNCGATE_API_KEY.
            """)

    @Option(help: "Server URL (http:// only).")
    var server = "http://127.0.0.1:8080"

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL for scheduler state (default: $ASYNCGATE_DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("api-key"), help: "API key (default: $ASYNCGATE_API_KEY).")
    var apiKey: String?

    @Option(name: .customLong("tenant-id"), help: "Tenant whose schedules this process runs (the API key's tenant).")
    var tenantID = "00000000-0000-0000-0000-000000000000"

    @Option(name: .customLong("worker-id"), help: "Worker id used to claim control tasks.")
    var workerID = "asyncgate-scheduler"

    @Option(name: .customLong("poll-interval"), help: "Longest pause between passes, in seconds.")
    var pollInterval = 1.0

    @Flag(name: .customLong("skip-migrations"), help: "Do not apply pending migrations at start-up.")
    var skipMigrations = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard UUID(uuidString: tenantID) != nil else { throw ValidationError("--tenant-id must be a UUID") }
        guard pollInterval > 0, pollInterval <= 60 else { throw ValidationError("--poll-interval must be in (0, 60]") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level is not a log level") }
    }

    func run() throws {
        let logger = makeLogger("asyncgate.scheduler", level: Logger.Level(rawValue: logLevel) ?? .info)
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["ASYNCGATE_DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("--database-url (or ASYNCGATE_DATABASE_URL) is required")
        }
        let tenant = UUID(uuidString: tenantID)!
        let client = AsyncGateClient(configuration: try ClientConfiguration(
            url: server, apiKey: apiKey ?? ProcessInfo.processInfo.environment["ASYNCGATE_API_KEY"], tenantID: tenant))
        let pool = PostgresPool(conninfo: url, size: 2, logger: logger)
        defer { pool.close() }
        if !skipMigrations {
            try pool.withConnection { conn in _ = try Migrator(logger: logger).migrate(conn) }
        }
        var config = SchedulerConfiguration()
        config.tenantID = tenant
        config.workerID = workerID
        config.instanceID = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        config.pollInterval = pollInterval
        let scheduler = Scheduler(client: client, pool: pool, configuration: config, logger: logger)
        let signals = installStopSignals(logger: logger) { scheduler.stop() }
        scheduler.run()
        signals.forEach { $0.cancel() }
    }
}
