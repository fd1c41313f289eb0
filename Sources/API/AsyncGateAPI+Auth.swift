import Domain
import Engine
import Foundation
import HTTP
import Synchronization

extension AsyncGateAPI {
    /// Resolves the caller from the credential. Tenant and principal come from the key; a client
    /// header selects the tenant only in insecure development mode.
    /// `mayLookUp` false: a key that is neither the shared key nor cached throws `MustBlock` instead
    /// of being looked up in the database (the caller is an I/O thread and retries on a worker).
    func authenticate(_ request: HTTPRequest, mayLookUp: Bool = true) throws -> Caller {
        if let presented = Self.presentedKey(request) {
            if case .sharedKey(let key) = configuration.authentication,
               APIKeyFormat.constantTimeEquals(presented, key) {
                return Caller(tenantID: configuration.sharedKeyTenant, role: .shared, principal: nil)
            }
            if APIKeyFormat.keyID(of: presented) != nil, let caller = try credentials.resolve(presented, engine: engine, mayLookUp: mayLookUp) {
                return caller
            }
            throw EngineError(.unauthorized, "invalid, revoked or expired credential")
        }
        if case .insecureDevelopment = configuration.authentication {
            var tenant = Caller.defaultTenant
            if let raw = request.headers["X-Tenant-ID"], !raw.isEmpty {
                guard let id = UUID(uuidString: raw) else { throw EngineError(.invalidTenant, "X-Tenant-ID must be a UUID") }
                tenant = id
            }
            return Caller(tenantID: tenant, role: .shared, principal: nil)
        }
        throw EngineError(.unauthorized, "missing credential: send Authorization: Bearer <key> or X-API-Key: <key>")
    }

    static func presentedKey(_ request: HTTPRequest) -> String? {
        if let auth = request.headers["Authorization"] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        if let key = request.headers["X-API-Key"], !key.isEmpty { return key }
        return nil
    }

    /// The rate-limit bucket of a request: the credential when there is one, else the client IP.
    static func rateLimitKey(_ request: HTTPRequest, caller: Caller?) -> String {
        if let caller, let p = caller.principal { return "key:\(caller.tenantID.lowercasedString):\(p.kind.rawValue):\(p.id)" }
        if let presented = presentedKey(request), caller != nil { return "key:" + APIKeyFormat.hash(presented).prefix(24) }
        let ip = request.remoteAddress.split(separator: ":").dropLast().joined(separator: ":")
        return "ip:" + (ip.isEmpty ? request.remoteAddress : ip)
    }
}

/// Short-lived cache of key → caller (also of rejections), so authentication costs a database
/// round trip at most once per key per TTL. Revocation therefore takes effect within the TTL.
final class CredentialCache: Sendable {
    private let entries = Mutex<[String: (caller: Caller?, until: Double)]>([:])
    private let ttl: Double
    private static let maxEntries = 10_000

    init(ttlSeconds: Double) { ttl = ttlSeconds }

    func resolve(_ presented: String, engine: Engine, mayLookUp: Bool = true) throws -> Caller? {
        let digest = APIKeyFormat.hash(presented)
        let now = Date().timeIntervalSince1970
        if ttl > 0, let hit = entries.withLock({ $0[digest] }), hit.until > now { return hit.caller }
        guard mayLookUp else { throw MustBlock() }
        let caller = try engine.authenticateAPIKey(presented)
        if ttl > 0 {
            entries.withLock { e in
                if e.count >= Self.maxEntries { e.removeAll(keepingCapacity: true) }
                e[digest] = (caller, now + ttl)
            }
        }
        return caller
    }
}

/// Thrown on an I/O thread by a step that would have to wait on the database: the request is then
/// run again on a worker thread.
struct MustBlock: Error {}
