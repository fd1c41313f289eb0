import Domain
import Foundation
import Postgres

public struct APIKeyRecord: Sendable {
    public var tenantID: UUID
    public var keyID: String
    public var keyHash: String
    public var principal: Principal
    public var role: Caller.Role
    public var scopes: [String]
    public var name: String?
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    public var rotatedFrom: String?

    public func isUsable(at now: Date = Date()) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

/// SQL for `api_keys`. Lookups by key id run across tenants (the tenant is not known before the key).
public struct APIKeyRepository {
    let db: PostgresConnection
    public init(_ db: PostgresConnection) { self.db = db }

    static let columns = """
        tenant_id, key_id, key_hash, principal_kind, principal_id, role, scopes, name, created_at, expires_at,
        revoked_at, last_used_at, rotated_from
        """

    static func decode(_ row: PostgresRow) throws -> APIKeyRecord {
        let scopesText = row.string(6) ?? "{}"
        let scopes = scopesText.dropFirst().dropLast().split(separator: ",").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return APIKeyRecord(
            tenantID: try row.requireUUID(0), keyID: try row.requireString(1), keyHash: try row.requireString(2),
            principal: Principal(kind: PrincipalKind(rawValue: try row.requireString(3)) ?? .agent, id: try row.requireString(4)),
            role: Caller.Role(rawValue: try row.requireString(5)) ?? .agent, scopes: scopes, name: row.string(7),
            createdAt: try row.requireDate(8), expiresAt: row.date(9), revokedAt: row.date(10), lastUsedAt: row.date(11),
            rotatedFrom: row.string(12))
    }

    public func insert(tenantID: UUID, keyID: String, keyHash: String, principal: Principal, role: Caller.Role,
                       scopes: [String], name: String?, expiresAt: Date?, rotatedFrom: String?) throws -> APIKeyRecord {
        let rows = try db.query("""
            INSERT INTO api_keys (tenant_id, key_id, key_hash, principal_kind, principal_id, role, scopes, name, expires_at, rotated_from)
            VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9, $10)
            RETURNING \(Self.columns)
            """, [tenantID, keyID, keyHash, principal.kind.rawValue, principal.id, role.rawValue, PGArray(scopes), name, expiresAt, rotatedFrom])
        guard let row = rows.first else { throw PostgresError(code: .decodingFailed, sqlState: nil, message: "insert returned no row") }
        return try Self.decode(row)
    }

    public func find(keyID: String) throws -> APIKeyRecord? {
        try db.query("SELECT \(Self.columns) FROM api_keys WHERE key_id = $1", [keyID]).first.map(Self.decode)
    }

    public func list(tenantID: UUID?) throws -> [APIKeyRecord] {
        try db.query("SELECT \(Self.columns) FROM api_keys WHERE ($1::uuid IS NULL OR tenant_id = $1) ORDER BY tenant_id, created_at",
                     [tenantID]).map(Self.decode)
    }

    /// Returns false when no such (unrevoked) key exists.
    public func revoke(keyID: String) throws -> Bool {
        try db.query("UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL", [keyID]).affectedRows == 1
    }

    /// Ends the old key's validity after the overlap window (never extends an earlier expiry).
    public func expire(keyID: String, afterSeconds: Int) throws {
        _ = try db.query("""
            UPDATE api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $2))
            WHERE key_id = $1
            """, [keyID, afterSeconds])
    }

    public func touch(keyID: String) throws {
        _ = try db.query("UPDATE api_keys SET last_used_at = now() WHERE key_id = $1", [keyID])
    }

    public func countUsable() throws -> Int {
        try db.query("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())").first?.int(0) ?? 0
    }
}
