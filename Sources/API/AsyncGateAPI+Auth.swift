import Domain
import Engine
import Foundation
import HTTP

extension AsyncGateAPI {
    /// Resolves the caller from the credential. The tenant never comes from a client header unless
    /// the server runs in insecure development mode.
    func authenticate(_ request: HTTPRequest) throws -> Caller {
        switch configuration.authentication {
        case .insecureDevelopment:
            var tenant = Caller.defaultTenant
            if let raw = request.headers["X-Tenant-ID"], !raw.isEmpty {
                guard let id = UUID(uuidString: raw) else { throw EngineError(.invalidTenant, "X-Tenant-ID must be a UUID") }
                tenant = id
            }
            return Caller(tenantID: tenant, role: .shared, principal: nil)
        case .sharedKey(let key):
            guard let presented = Self.presentedKey(request) else {
                throw EngineError(.unauthorized, "missing credential: send Authorization: Bearer <key> or X-API-Key")
            }
            guard Self.constantTimeEquals(Array(presented.utf8), Array(key.utf8)) else {
                throw EngineError(.unauthorized, "invalid credential")
            }
            return Caller(tenantID: configuration.sharedKeyTenant, role: .shared, principal: nil)
        }
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

    /// Compares in time independent of where the inputs differ (length differences still leak length,
    /// which is public for our keys).
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}
