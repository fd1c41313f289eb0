import API
import ArgumentParser
import Dispatch
import Engine
import Foundation
import HTTP
import Logging
import Postgres
import RateLimit
import Storage

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (default). Without ASYNCGATE_DATABASE_URL it starts a private PostgreSQL cluster.")

    func run() throws {
        var config = loadConfiguration()
        config.engine.version = AsyncGateCommand.version
        let logger = makeLogger("asyncgate", level: config.logLevel)

        let database = try Database.open(config, logger: logger)
        defer { database.close() }

        let engine = Engine(pool: database.pool, configuration: config.engine, instanceID: config.instanceID, logger: logger)
        var apiConfig = APIConfiguration()
        apiConfig.authentication = config.authentication
        apiConfig.environment = config.environment.rawValue
        apiConfig.version = AsyncGateCommand.version
        apiConfig.workerThreads = config.workerThreads
        apiConfig.corsAllowedOrigins = config.corsAllowedOrigins
        apiConfig.credentialCacheSeconds = config.authCacheSeconds
        if config.rateLimitEnabled {
            if config.rateLimitBackend == "redis", let url = config.redisURL {
                apiConfig.rateLimiter = try RedisRateLimiter(url: url, limit: config.rateLimitCalls, windowSeconds: config.rateLimitWindowSeconds,
                                                             failOpen: config.rateLimitFailOpen, logger: logger)
            } else {
                apiConfig.rateLimiter = MemoryRateLimiter(limit: config.rateLimitCalls, windowSeconds: config.rateLimitWindowSeconds)
            }
        }
        if case .apiKeysOnly = config.authentication, try engine.countUsableAPIKeys() == 0 {
            logger.critical("no credential source: set ASYNCGATE_API_KEY or create a key with `asyncgate keys create`")
            throw ExitCode(2)
        }
        let api = AsyncGateAPI(engine: engine, configuration: apiConfig, logger: logger)

        if case .insecureDevelopment = config.authentication {
            logger.warning("""
                ************************************************************************
                INSECURE DEVELOPMENT MODE: no ASYNCGATE_API_KEY is set, so every request is
                accepted without a credential and X-Tenant-ID selects the tenant.
                Never expose this server. Set ASYNCGATE_API_KEY to require a key.
                ************************************************************************
                """)
        }

        let server = HTTPServer(configuration: config.http, logger: logger, handler: api.handler)
        try server.start()
        logger.info("AsyncGate listening", metadata: [
            "http.address": "\(config.host):\(server.localPort)", "instance.id": "\(config.instanceID)",
            "env": "\(config.environment.rawValue)", "db.embedded": "\(database.embedded != nil)",
        ])

        let sweeper = LeaseSweeper(engine: engine, logger: logger)
        sweeper.start()
        let notifications = config.engine.notifyEnabled
            ? TaskNotifications(conninfo: database.conninfo, waiters: engine.waiters, logger: logger) : nil
        notifications?.start()

        // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then exit 0.
        let signals = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                logger.info("shutting down", metadata: ["signal": "\(sig)"])
                server.shutdown()
            }
            source.resume()
            return source
        }
        server.waitUntilStopped()
        api.shutdown()
        signals.forEach { $0.cancel() }
        sweeper.stop()
        notifications?.stop()
        logger.info("stopped")
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")

    @Option(help: "Revert migrations above this version instead of applying.")
    var rollbackTo: Int?

    func run() throws {
        let config = loadConfiguration()
        let logger = makeLogger("asyncgate.migrate", level: config.logLevel)
        let database = try Database.open(config, logger: logger, migrate: false)
        defer { database.close() }
        do {
            let conn = try PostgresConnection.connect(database.conninfo, logger: logger)
            defer { conn.close() }
            let migrator = Migrator(logger: logger)
            if let version = rollbackTo {
                try migrator.rollback(conn, to: version)
            } else {
                let applied = try migrator.migrate(conn)
                print(applied.isEmpty ? "schema is up to date" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))")
            }
        }
    }
}

/// The database the server uses: the configured URL, or an embedded private cluster.
struct Database {
    let pool: PostgresPool
    let embedded: EmbeddedPostgres?
    /// For administrative connections (migrate, keys) that must not run as the RLS role.
    let conninfo: String

    static func open(_ config: Configuration, logger: Logger, migrate: Bool = true) throws -> Database {
        var embedded: EmbeddedPostgres?
        let conninfo: String
        if let url = config.databaseURL {
            conninfo = url
        } else {
            let dir = URL(fileURLWithPath: config.dataDirectory, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
            logger.info("no ASYNCGATE_DATABASE_URL: starting embedded PostgreSQL", metadata: ["db.data_dir": "\(dir)"])
            let cluster = EmbeddedPostgres(dataDirectory: dir, logger: logger)
            conninfo = try cluster.start()
            embedded = cluster
        }
        if migrate {
            // Migrations run as the login user (they own the schema); the pool then switches to
            // the unprivileged RLS role on every connection.
            do {
                let conn = try PostgresConnection.connect(conninfo, logger: logger)
                defer { conn.close() }
                try Migrator(logger: logger).migrate(conn)
            } catch {
                embedded?.stop()
                throw error
            }
        }
        let pool = TenantScope.makePool(conninfo: conninfo, size: config.dbPoolSize, logger: logger)
        return Database(pool: pool, embedded: embedded, conninfo: conninfo)
    }

    func close() {
        pool.close()
        embedded?.stop()
    }
}
