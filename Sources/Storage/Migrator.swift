import Domain
import Foundation
import Logging
import Postgres

/// One numbered schema change. `up`/`down` are the contents of migrations/NNNN_name(.down).sql.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var up: String
    public var down: String?
    public init(version: Int, name: String, up: String, down: String?) {
        self.version = version; self.name = name; self.up = up; self.down = down
    }
    public var checksum: String { ReceiptHash.sha256Hex(Array(up.utf8)) }
}

/// Applies migrations in order, each in its own transaction, recorded in `schema_migrations`.
/// A session advisory lock serialises concurrent migrators (two instances starting at once): the
/// second waits, then finds nothing left to do.
public struct Migrator: Sendable {
    public var migrations: [Migration]
    public var logger: Logger

    public init(migrations: [Migration] = Migration.embedded, logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Arbitrary constant naming the migration lock (pg_advisory_lock key space is shared per database).
    static let lockKey = 0x4153_594E_4347  // "ASYNCG"

    @discardableResult
    public func migrate(_ db: PostgresConnection) throws -> [Int] {
        try withLock(db) {
            let applied = try appliedVersions(db)
            var done: [Int] = []
            for m in migrations where applied[m.version] == nil {
                try db.transaction { tx in
                    try tx.execute(m.up)
                    _ = try tx.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                     [m.version, m.name, m.checksum])
                }
                logger.info("applied migration", metadata: ["migration.version": "\(m.version)", "migration.name": "\(m.name)"])
                done.append(m.version)
            }
            for m in migrations {
                if let sum = applied[m.version], sum != m.checksum {
                    logger.warning("applied migration differs from the embedded one", metadata: ["migration.version": "\(m.version)"])
                }
            }
            return done
        }
    }

    /// Reverts applied migrations above `version`, newest first.
    public func rollback(_ db: PostgresConnection, to version: Int) throws {
        try withLock(db) {
            let applied = try appliedVersions(db)
            for m in migrations.reversed() where m.version > version && applied[m.version] != nil {
                guard let down = m.down else {
                    throw PostgresError(code: .queryFailed, sqlState: nil, message: "migration \(m.version) has no down script")
                }
                try db.transaction { tx in
                    try tx.execute(down)
                    _ = try tx.query("DELETE FROM schema_migrations WHERE version = $1", [m.version])
                }
                logger.info("reverted migration", metadata: ["migration.version": "\(m.version)"])
            }
        }
    }

    public func appliedVersions(_ db: PostgresConnection) throws -> [Int: String] {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var out: [Int: String] = [:]
        for row in try db.query("SELECT version, checksum FROM schema_migrations") {
            if let v = row.int(0) { out[v] = row.string(1) ?? "" }
        }
        return out
    }

    private func withLock<T>(_ db: PostgresConnection, _ body: () throws -> T) throws -> T {
        _ = try db.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        defer { _ = try? db.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        return try body()
    }
}
