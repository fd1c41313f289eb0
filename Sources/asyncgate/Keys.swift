import ArgumentParser
import Domain
import Engine
import Foundation
import Logging
import Storage

/// `asyncgate keys create|list|revoke|rotate`: API key management against the configured database
/// (or the embedded cluster in ASYNCGATE_DATA_DIR, which is left running if a server owns it).
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API keys (printed once at creation; only a hash is stored).",
        subcommands: [Create.self, List.self, Revoke.self, Rotate.self])

    static func withEngine<T>(_ body: (Engine) throws -> T) throws -> T {
        let config = loadConfiguration()
        let logger = makeLogger("asyncgate.keys", level: config.logLevel == .info ? .warning : config.logLevel)
        let database = try Database.open(config, logger: logger)
        defer {
            database.pool.close()
            if let embedded = database.embedded, !embedded.adopted { embedded.stop() }
        }
        let engine = Engine(pool: database.pool, configuration: config.engine, instanceID: config.instanceID, logger: logger)
        return try body(engine)
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once.")
        @Option(help: "Tenant UUID.") var tenant: String = Caller.defaultTenant.lowercasedString
        @Option(help: "agent | worker | service | human") var principalKind: String
        @Option(help: "Principal id the key acts as.") var principalId: String
        @Option(help: "agent | worker | admin") var role: String
        @Option(help: "Comma-separated scopes.") var scopes: String = ""
        @Option(help: "Expiry, RFC 3339 (e.g. 2027-01-01T00:00:00Z).") var expires: String?
        @Option(help: "A label for humans.") var name: String?

        func run() throws {
            guard let tenantID = UUID(uuidString: tenant) else { throw ValidationError("--tenant must be a UUID") }
            guard let kind = PrincipalKind(rawValue: principalKind), kind != .system else {
                throw ValidationError("--principal-kind must be agent, worker, service or human")
            }
            guard let role = Caller.Role(rawValue: role), role != .shared else { throw ValidationError("--role must be agent, worker or admin") }
            var expiry: Date?
            if let expires {
                guard let d = ISO8601DateFormatter().date(from: expires) else { throw ValidationError("--expires must be RFC 3339") }
                expiry = d
            }
            let scopeList = scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let created = try Keys.withEngine { engine in
                try engine.createAPIKey(tenantID: tenantID, principal: Principal(kind: kind, id: principalId), role: role,
                                        scopes: scopeList, name: name, expiresAt: expiry)
            }
            print(created.key)
            FileHandle.standardError.write(Data("key id \(created.record.keyID) for \(kind.rawValue):\(principalId) (\(role.rawValue)) in tenant \(tenantID.lowercasedString). Store the key now: it is not shown again.\n".utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never secrets).")
        @Option(help: "Only this tenant.") var tenant: String?
        func run() throws {
            let tenantID = try tenant.map { t -> UUID in
                guard let id = UUID(uuidString: t) else { throw ValidationError("--tenant must be a UUID") }
                return id
            }
            let keys = try Keys.withEngine { try $0.listAPIKeys(tenantID: tenantID) }
            print("KEY_ID\tTENANT\tPRINCIPAL\tROLE\tSTATUS\tEXPIRES\tLAST_USED")
            for k in keys {
                let status = k.revokedAt != nil ? "revoked" : (k.isUsable() ? "active" : "expired")
                print([k.keyID, k.tenantID.lowercasedString, "\(k.principal.kind.rawValue):\(k.principal.id)", k.role.rawValue, status,
                       k.expiresAt.map(Timestamp.rfc3339) ?? "-", k.lastUsedAt.map(Timestamp.rfc3339) ?? "-"].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key now.")
        @Argument(help: "Key id (from `keys list`).") var keyID: String
        func run() throws {
            try Keys.withEngine { try $0.revokeAPIKey(keyID: keyID) }
            print("revoked \(keyID)")
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a successor key; the old one stays valid for the overlap.")
        @Argument(help: "Key id to rotate.") var keyID: String
        @Option(help: "Seconds the old key remains valid.") var overlapSeconds: Int = 86_400
        func run() throws {
            let created = try Keys.withEngine { try $0.rotateAPIKey(keyID: keyID, overlapSeconds: overlapSeconds) }
            print(created.key)
            FileHandle.standardError.write(Data("new key id \(created.record.keyID); \(keyID) expires in \(overlapSeconds) s\n".utf8))
        }
    }
}
