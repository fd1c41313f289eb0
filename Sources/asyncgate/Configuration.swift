import API
import Engine
import Foundation
import HTTP
import Logging

/// Server configuration from `ASYNCGATE_*` environment variables (SPEC §7). Every variable is
/// validated at start-up; an unknown `ASYNCGATE_` name or an invalid value stops the server with a
/// message naming the variable, so a typo never silently falls back to a default.
struct Configuration {
    enum Environment: String { case development, staging, production, test }

    var databaseURL: String?
    var dataDirectory = ".asyncgate"
    var environment = Environment.development
    var instanceID: String
    var host = "127.0.0.1"
    var port = 8080
    var logLevel = Logger.Level.info
    var apiKey: String?
    var allowInsecureDev = false
    var dbPoolSize = 16
    /// Request worker threads (blocking engine calls); at least the pool size.
    var workerThreads = 64
    var engine = EngineConfiguration()
    var http = HTTPServerConfiguration()
    var strictLocatability = false
    var corsAllowedOrigins: [String] = []
    var rateLimitEnabled = true
    var rateLimitBackend = "memory"
    var redisURL: String?
    var rateLimitCalls = 100
    /// When Redis is unreachable: allow (true, availability first) or refuse with 429 (false).
    var rateLimitFailOpen = true
    var rateLimitWindowSeconds = 60
    var receiptRetentionDays = 30
    var authCacheSeconds = 5.0

    struct Invalid: Error, CustomStringConvertible {
        var variable: String
        var reason: String
        var description: String { "ASYNCGATE_\(variable): \(reason)" }
    }

    static let known: Set<String> = [
        "DATABASE_URL", "DATA_DIR", "ENV", "INSTANCE_ID", "HOST", "PORT", "LOG_LEVEL", "API_KEY", "ALLOW_INSECURE_DEV",
        "CORS_ALLOWED_ORIGINS", "RATE_LIMIT_ENABLED", "RATE_LIMIT_BACKEND", "REDIS_URL", "RATE_LIMIT_DEFAULT_CALLS",
        "RATE_LIMIT_DEFAULT_WINDOW_SECONDS", "DEFAULT_LEASE_TTL_SECONDS", "MAX_LEASE_TTL_SECONDS",
        "LEASE_SWEEP_INTERVAL_SECONDS", "MAX_LEASE_RENEWALS", "MAX_LEASE_LIFETIME_SECONDS", "DEFAULT_MAX_ATTEMPTS",
        "DEFAULT_RETRY_BACKOFF_SECONDS", "MAX_RETRY_BACKOFF_SECONDS", "RECEIPT_RETENTION_DAYS", "DB_POOL_SIZE",
        "STRICT_LOCATABILITY", "NOTIFY", "CLAIM_RECHECK_SECONDS", "COALESCE_LANES", "WORKER_THREADS", "RATE_LIMIT_FAIL_OPEN", "AUTH_CACHE_SECONDS", "HTTP_IO_THREADS", "HTTP_MAX_BODY_BYTES", "HTTP_MAX_HEADER_BYTES",
        "HTTP_MAX_HEADER_COUNT", "HTTP_MAX_REQUEST_LINE_BYTES", "HTTP_MAX_REQUESTS_PER_CONNECTION",
        "HTTP_MAX_CONNECTIONS", "HTTP_HEADER_TIMEOUT_SECONDS", "HTTP_BODY_TIMEOUT_SECONDS",
        "HTTP_IDLE_TIMEOUT_SECONDS", "HTTP_WRITE_TIMEOUT_SECONDS", "HTTP_SHUTDOWN_GRACE_SECONDS",
    ]

    init(environment env: [String: String]) throws {
        instanceID = "asyncgate-\(ProcessInfo.processInfo.hostName)-\(getpid())"
        var vars: [String: String] = [:]
        for (k, v) in env where k.hasPrefix("ASYNCGATE_") {
            let name = String(k.dropFirst("ASYNCGATE_".count))
            guard Self.known.contains(name) else { throw Invalid(variable: name, reason: "unknown setting") }
            vars[name] = v
        }
        func str(_ n: String) -> String? { vars[n].flatMap { $0.isEmpty ? nil : $0 } }
        func int(_ n: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = str(n) else { return nil }
            guard let v = Int(raw), range.contains(v) else {
                throw Invalid(variable: n, reason: "must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(raw)\"")
            }
            return v
        }
        func double(_ n: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let raw = str(n) else { return nil }
            guard let v = Double(raw), range.contains(v) else {
                throw Invalid(variable: n, reason: "must be a number in \(range.lowerBound)...\(range.upperBound), got \"\(raw)\"")
            }
            return v
        }
        func bool(_ n: String) throws -> Bool? {
            guard let raw = str(n)?.lowercased() else { return nil }
            switch raw {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw Invalid(variable: n, reason: "must be true or false, got \"\(raw)\"")
            }
        }

        databaseURL = str("DATABASE_URL")
        if let d = str("DATA_DIR") { dataDirectory = d }
        if let e = str("ENV") {
            guard let parsed = Environment(rawValue: e.lowercased()) else {
                throw Invalid(variable: "ENV", reason: "must be development, staging, production or test, got \"\(e)\"")
            }
            environment = parsed
        }
        if let i = str("INSTANCE_ID") { instanceID = i }
        host = str("HOST") ?? (environment == .development || environment == .test ? "127.0.0.1" : "0.0.0.0")
        port = try int("PORT", 0...65535) ?? 8080
        if let l = str("LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: l.lowercased()) else {
                throw Invalid(variable: "LOG_LEVEL", reason: "must be trace, debug, info, notice, warning, error or critical")
            }
            logLevel = level
        }
        apiKey = str("API_KEY")
        if let key = apiKey, key.utf8.count < 16 {
            throw Invalid(variable: "API_KEY", reason: "must be at least 16 characters")
        }
        // Unset means: open in development when no key is configured (the zero-setup default);
        // an explicit false makes development require keys too.
        allowInsecureDev = try bool("ALLOW_INSECURE_DEV") ?? (environment == .development || environment == .test)
        dbPoolSize = try int("DB_POOL_SIZE", 1...500) ?? 16
        // Requests waiting for a group commit (Coalescer) hold a thread but no connection, so the
        // threads outnumber the connections: more single calls can join each batch.
        workerThreads = max(try int("WORKER_THREADS", 1...1024) ?? 64, dbPoolSize)
        strictLocatability = try bool("STRICT_LOCATABILITY") ?? false
        corsAllowedOrigins = str("CORS_ALLOWED_ORIGINS")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        if corsAllowedOrigins.contains("*") {
            throw Invalid(variable: "CORS_ALLOWED_ORIGINS", reason: "must list origins explicitly; \"*\" is never allowed")
        }
        rateLimitEnabled = try bool("RATE_LIMIT_ENABLED") ?? true
        if let b = str("RATE_LIMIT_BACKEND") {
            guard ["memory", "redis"].contains(b) else { throw Invalid(variable: "RATE_LIMIT_BACKEND", reason: "must be memory or redis") }
            rateLimitBackend = b
        }
        redisURL = str("REDIS_URL")
        if rateLimitBackend == "redis", redisURL == nil {
            throw Invalid(variable: "REDIS_URL", reason: "is required when ASYNCGATE_RATE_LIMIT_BACKEND=redis")
        }
        rateLimitFailOpen = try bool("RATE_LIMIT_FAIL_OPEN") ?? true
        rateLimitCalls = try int("RATE_LIMIT_DEFAULT_CALLS", 1...1_000_000) ?? 100
        rateLimitWindowSeconds = try int("RATE_LIMIT_DEFAULT_WINDOW_SECONDS", 1...86_400) ?? 60
        receiptRetentionDays = try int("RECEIPT_RETENTION_DAYS", 1...36_500) ?? 30

        var e = EngineConfiguration()
        e.maxLeaseTTLSeconds = try int("MAX_LEASE_TTL_SECONDS", 10...86_400) ?? 1800
        e.defaultLeaseTTLSeconds = try int("DEFAULT_LEASE_TTL_SECONDS", 10...86_400) ?? 300
        guard e.defaultLeaseTTLSeconds <= e.maxLeaseTTLSeconds else {
            throw Invalid(variable: "DEFAULT_LEASE_TTL_SECONDS", reason: "must not exceed ASYNCGATE_MAX_LEASE_TTL_SECONDS")
        }
        e.leaseSweepIntervalSeconds = try double("LEASE_SWEEP_INTERVAL_SECONDS", 0.05...3600) ?? 10
        e.maxLeaseRenewals = try int("MAX_LEASE_RENEWALS", 0...10_000) ?? 10
        e.maxLeaseLifetimeSeconds = try int("MAX_LEASE_LIFETIME_SECONDS", 10...604_800) ?? 7200
        e.defaultMaxAttempts = try int("DEFAULT_MAX_ATTEMPTS", 1...100) ?? 3
        e.defaultRetryBackoffSeconds = try int("DEFAULT_RETRY_BACKOFF_SECONDS", 1...86_400) ?? 30
        e.maxRetryBackoffSeconds = try int("MAX_RETRY_BACKOFF_SECONDS", 1...86_400) ?? 900
        e.strictLocatability = strictLocatability
        if let n = str("NOTIFY")?.lowercased() {
            guard ["on", "off"].contains(n) else { throw Invalid(variable: "NOTIFY", reason: "must be on or off") }
            e.notifyEnabled = n == "on"
        }
        // Without notifications, parked claims find new work only by re-checking: do it more often.
        e.claimRecheckSeconds = try double("CLAIM_RECHECK_SECONDS", 0.05...60) ?? (e.notifyEnabled ? 1.0 : 0.25)
        e.coalesceLanes = try int("COALESCE_LANES", 0...64) ?? e.coalesceLanes
        authCacheSeconds = try double("AUTH_CACHE_SECONDS", 0...3600) ?? 5
        e.environment = environment.rawValue
        engine = e

        var h = HTTPServerConfiguration()
        h.host = host
        h.port = port
        if let v = try int("HTTP_IO_THREADS", 1...256) { h.ioThreads = v }
        if let v = try int("HTTP_MAX_BODY_BYTES", 1024...(256 << 20)) { h.maxBodyBytes = v }
        if let v = try int("HTTP_MAX_HEADER_BYTES", 1024...(1 << 20)) { h.maxHeaderBytes = v }
        if let v = try int("HTTP_MAX_HEADER_COUNT", 8...10_000) { h.maxHeaderCount = v }
        if let v = try int("HTTP_MAX_REQUEST_LINE_BYTES", 256...(1 << 20)) { h.maxRequestLineBytes = v }
        if let v = try int("HTTP_MAX_REQUESTS_PER_CONNECTION", 1...10_000_000) { h.maxRequestsPerConnection = v }
        if let v = try int("HTTP_MAX_CONNECTIONS", 1...1_000_000) { h.maxConnections = v }
        if let v = try double("HTTP_HEADER_TIMEOUT_SECONDS", 0.1...3600) { h.headerTimeout = v }
        if let v = try double("HTTP_BODY_TIMEOUT_SECONDS", 0.1...3600) { h.bodyTimeout = v }
        if let v = try double("HTTP_IDLE_TIMEOUT_SECONDS", 0.1...86_400) { h.idleTimeout = v }
        if let v = try double("HTTP_WRITE_TIMEOUT_SECONDS", 0.1...3600) { h.writeTimeout = v }
        if let v = try double("HTTP_SHUTDOWN_GRACE_SECONDS", 0...3600) { h.shutdownGracePeriod = v }
        http = h

        // Start-up safety (SPEC §6): no credential-less production, no insecure mode outside development.
        if environment == .production || environment == .staging {
            if vars["ALLOW_INSECURE_DEV"].map({ ["1", "true", "yes", "on"].contains($0.lowercased()) }) == true {
                throw Invalid(variable: "ALLOW_INSECURE_DEV", reason: "is refused when ASYNCGATE_ENV=\(environment.rawValue)")
            }
            rateLimitEnabled = true
        }
    }

    /// Development without a key runs open (insecure dev mode): loudly logged at start-up.
    /// Staging/production without ASYNCGATE_API_KEY accept only keys from `asyncgate keys`; the
    /// server refuses to start there unless at least one usable key exists.
    var authentication: APIConfiguration.Authentication {
        if let apiKey { return .sharedKey(apiKey) }
        if allowInsecureDev && (environment == .development || environment == .test) { return .insecureDevelopment }
        return .apiKeysOnly
    }
}
