import Domain
import Foundation
import Postgres

public struct Relationship: Sendable {
    public var principal: Principal
    public var firstSeenAt: Date
    public var lastSeenAt: Date
    public var sessionsCount: Int
}

/// SQL for `relationships`: when a principal was first and last seen, and how many sessions
/// (bootstrap calls) it has opened.
public struct RelationshipRepository {
    let db: PostgresConnection
    public init(_ db: PostgresConnection) { self.db = db }

    public func touch(tenantID: UUID, principal: Principal) throws -> Relationship {
        let (sql, binds) = Self.touchStatement(tenantID: tenantID, principal: principal)
        return try Self.decodeTouch(try db.query(sql, binds), principal)
    }

    /// Makes the enclosing transaction commit without waiting for its WAL flush (`SET LOCAL
    /// synchronous_commit = off`), for transactions that write only relationship bookkeeping.
    public static var asynchronousCommitStatement: (String, [(any PostgresBindable)?]) {
        ("SELECT set_config('synchronous_commit', 'off', true)", [])
    }

    /// The upsert of `touch`, for callers that pipeline it with other statements.
    public static func touchStatement(tenantID: UUID, principal: Principal) -> (String, [(any PostgresBindable)?]) {
        ("""
            INSERT INTO relationships (tenant_id, principal_kind, principal_id, principal_instance_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (tenant_id, principal_kind, principal_id, principal_instance_id)
            DO UPDATE SET last_seen_at = now(), sessions_count = relationships.sessions_count + 1
            RETURNING first_seen_at, last_seen_at, sessions_count
            """, [tenantID, principal.kind.rawValue, principal.id, principal.instanceID ?? ""])
    }

    public static func decodeTouch(_ rows: PostgresResult, _ principal: Principal) throws -> Relationship {
        guard let row = rows.first else { throw PostgresError(code: .decodingFailed, sqlState: nil, message: "relationship upsert returned no row") }
        return Relationship(principal: principal, firstSeenAt: try row.requireDate(0), lastSeenAt: try row.requireDate(1),
                            sessionsCount: try row.requireInt(2))
    }
}
