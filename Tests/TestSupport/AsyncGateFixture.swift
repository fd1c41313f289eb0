import API
import Domain
import Engine
import Foundation
import Testing
import HTTP
import Logging
import Postgres
import Storage

/// Fresh, migrated databases for engine and API tests: the schema is migrated once per process into
/// a template database, and every test gets its own copy (CREATE DATABASE … TEMPLATE), so tests
/// never see each other's rows and can run in parallel.
public enum MigratedDatabase {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var template: Result<String, Error>?

    public static func create() throws -> String {
        let cluster = try TestPostgres.cluster()
        lock.lock()
        defer { lock.unlock() }
        if template == nil {
            template = Result {
                let name = "asyncgate_template_\(getpid())"
                try? cluster.dropDatabase(name)
                let conninfo = try cluster.createDatabase(named: name)
                let conn = try PostgresConnection.connect(conninfo, logger: TestPostgres.logger)
                defer { conn.close() }
                try Migrator(logger: TestPostgres.logger).migrate(conn)
                return name
            }
        }
        // CREATE DATABASE from a template needs the template to be idle: serialise the copies.
        return try cluster.createDatabase(template: try template!.get())
    }
}

/// An engine over its own fresh database.
public final class EngineFixture: Sendable {
    public let conninfo: String
    public let pool: PostgresPool
    public let engine: Engine

    public init(configure: (inout EngineConfiguration) -> Void = { _ in }, poolSize: Int = 8) throws {
        conninfo = try MigratedDatabase.create()
        pool = TenantScope.makePool(conninfo: conninfo, size: poolSize, logger: TestPostgres.logger)
        var config = EngineConfiguration()
        configure(&config)
        engine = Engine(pool: pool, configuration: config, instanceID: "test-instance", logger: TestPostgres.logger)
    }

    /// Runs SQL directly across all tenants (for assertions on stored state and for moving time:
    /// e.g. expiring a lease). Runs as the application role, so row-level security applies.
    public func sql(_ text: String, _ binds: [(any PostgresBindable)?] = []) throws -> PostgresResult {
        try pool.withConnection {
            try TenantScope.apply($0, tenant: nil)
            return try $0.query(text, binds)
        }
    }

    deinit { pool.close() }
}

/// A running AsyncGate HTTP server (real sockets, ephemeral port) over its own fresh database.
public final class ServerFixture: Sendable {
    public let engineFixture: EngineFixture
    public let server: HTTPServer
    public let port: Int
    let api: AsyncGateAPI

    public init(configure: (inout EngineConfiguration) -> Void = { _ in },
                api: (inout APIConfiguration) -> Void = { _ in },
                http: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
        engineFixture = try EngineFixture(configure: configure, poolSize: 8)
        var apiConfig = APIConfiguration()
        apiConfig.workerThreads = 8
        api(&apiConfig)
        self.api = AsyncGateAPI(engine: engineFixture.engine, configuration: apiConfig, logger: TestPostgres.logger)
        let handler = self.api.handler
        var httpConfig = HTTPServerConfiguration()
        httpConfig.port = 0
        httpConfig.ioThreads = 2
        http(&httpConfig)
        server = HTTPServer(configuration: httpConfig, logger: TestPostgres.logger, handler: handler)
        try server.start()
        port = server.localPort
    }

    public var engine: Engine { engineFixture.engine }

    public func client() -> TestHTTPClient { TestHTTPClient(port: port) }

    deinit {
        server.shutdown()
        // Bounded: a server that does not stop fails the test that owned it instead of hanging
        // the whole run (the grace period is 10 s).
        if !server.waitUntilStopped(seconds: 30) {
            Issue.record("HTTP server on port \(port) did not stop within 30 s of shutdown (open connections: \(server.openConnections))")
        }
        api.shutdown()
    }
}
