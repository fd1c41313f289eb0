import Foundation
import Logging
import Postgres

/// A PostgreSQL server tests may create databases on.
public final class TestCluster: Sendable {
    /// conninfo (or URL) of the maintenance database, with rights to CREATE DATABASE.
    public let adminConninfo: String
    private let logger: Logger

    init(adminConninfo: String, logger: Logger) {
        self.adminConninfo = adminConninfo
        self.logger = logger
    }

    /// Creates a database with a fresh unique name (copied from `template` if given) and returns
    /// its conninfo.
    public func createDatabase(template: String? = nil) throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
        return try createDatabase(named: name, template: template)
    }

    /// Creates a database called `name` (e.g. a template the test then migrates), returns its conninfo.
    public func createDatabase(named name: String, template: String? = nil) throws -> String {
        let connection = try PostgresConnection.connect(adminConninfo, logger: logger)
        defer { connection.close() }
        var sql = "CREATE DATABASE \(Self.quoted(name))"
        if let template { sql += " TEMPLATE \(Self.quoted(template))" }
        try connection.execute(sql)
        return conninfo(database: name)
    }

    /// Drops a database (terminating any sessions still connected to it).
    public func dropDatabase(_ name: String) throws {
        let connection = try PostgresConnection.connect(adminConninfo, logger: logger)
        defer { connection.close() }
        try connection.execute("DROP DATABASE IF EXISTS \(Self.quoted(name)) WITH (FORCE)")
    }

    /// conninfo for an existing database on this server.
    public func conninfo(database: String) -> String {
        if adminConninfo.hasPrefix("postgres://") || adminConninfo.hasPrefix("postgresql://"),
           var components = URLComponents(string: adminConninfo) {
            components.path = "/" + database
            if let url = components.string { return url }
        }
        // In key=value conninfo a later keyword overrides an earlier one.
        let escaped = database.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return adminConninfo + " dbname='\(escaped)'"
    }

    private static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
