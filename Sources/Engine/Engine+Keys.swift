import Domain
import Foundation
import Logging
import Storage

public struct CreatedAPIKey: Sendable {
    /// The secret; shown once, never stored.
    public var key: String
    public var record: APIKeyRecord
}

extension Engine {
    /// Resolves a presented key to its caller, or nil when unknown, revoked, expired or wrong.
    /// Records `last_used_at` (the API caches results, so this runs at most once per key per TTL).
    public func authenticateAPIKey(_ presented: String) throws -> Caller? {
        guard let keyID = APIKeyFormat.keyID(of: presented) else { return nil }
        return try withConnection(tenant: nil) { db in
            let keys = APIKeyRepository(db)
            guard let record = try keys.find(keyID: keyID),
                  APIKeyFormat.constantTimeEquals(record.keyHash, APIKeyFormat.hash(presented)),
                  record.isUsable()
            else { return nil }
            try keys.touch(keyID: keyID)
            return Caller(tenantID: record.tenantID, role: record.role, principal: record.principal)
        }
    }

    public func createAPIKey(tenantID: UUID, principal: Principal, role: Caller.Role, scopes: [String], name: String?,
                             expiresAt: Date?, rotatedFrom: String? = nil) throws -> CreatedAPIKey {
        guard role != .shared else { throw EngineError.validation("role must be agent, worker or admin") }
        let (key, keyID) = APIKeyFormat.generate()
        let record = try withConnection(tenant: nil) { db in
            try APIKeyRepository(db).insert(tenantID: tenantID, keyID: keyID, keyHash: APIKeyFormat.hash(key), principal: principal,
                                            role: role, scopes: scopes, name: name, expiresAt: expiresAt, rotatedFrom: rotatedFrom)
        }
        audit.info("api key created", metadata: ["tenant.id": "\(tenantID.lowercasedString)", "key.id": "\(keyID)",
                                                 "principal": "\(principal.kind.rawValue):\(principal.id)", "key.role": "\(role.rawValue)"])
        return CreatedAPIKey(key: key, record: record)
    }

    public func listAPIKeys(tenantID: UUID?) throws -> [APIKeyRecord] {
        try withConnection(tenant: nil) { db in try APIKeyRepository(db).list(tenantID: tenantID) }
    }

    public func revokeAPIKey(keyID: String) throws {
        let revoked = try withConnection(tenant: nil) { db in try APIKeyRepository(db).revoke(keyID: keyID) }
        guard revoked else { throw EngineError(.notFound, "no active key \(keyID)") }
        audit.info("api key revoked", metadata: ["key.id": "\(keyID)"])
    }

    /// Issues a successor with the same tenant, principal, role and scopes; the old key stays valid
    /// for `overlapSeconds` so clients can switch without downtime.
    public func rotateAPIKey(keyID: String, overlapSeconds: Int) throws -> CreatedAPIKey {
        let old = try withConnection(tenant: nil) { db -> APIKeyRecord in
            guard let old = try APIKeyRepository(db).find(keyID: keyID), old.isUsable() else {
                throw EngineError(.notFound, "no active key \(keyID)")
            }
            return old
        }
        let new = try createAPIKey(tenantID: old.tenantID, principal: old.principal, role: old.role, scopes: old.scopes,
                                   name: old.name, expiresAt: old.expiresAt, rotatedFrom: keyID)
        try withConnection(tenant: nil) { db in try APIKeyRepository(db).expire(keyID: keyID, afterSeconds: overlapSeconds) }
        audit.info("api key rotated", metadata: ["key.id": "\(keyID)", "key.successor": "\(new.record.keyID)", "key.overlap_seconds": "\(overlapSeconds)"])
        return new
    }

    public func countUsableAPIKeys() throws -> Int {
        try withConnection(tenant: nil) { db in try APIKeyRepository(db).countUsable() }
    }

    /// Security events (auth failures, forbidden, rate limits, key changes): one structured line
    /// each, never containing a secret.
    public var audit: Logger {
        var l = logger
        l[metadataKey: "audit"] = "true"
        return l
    }
}
