import Dispatch
import Foundation
import Logging
import Synchronization
import Testing
@testable import RateLimit

/// Against a real redis-server started per test (own port, no persistence).
@Suite("Redis rate limiter", .enabled(if: RedisServer.binary != nil, RedisServer.skipMessage))
struct RedisRateLimiterTests {
    let logs = LogCapture()

    func limiter(_ server: RedisServer, url: String? = nil, limit: Int, window: Int = 3600, failOpen: Bool = false,
                 backoff: Double = 0.2, timeout: Double = 1.0) throws -> RedisRateLimiter {
        try RedisRateLimiter(url: url ?? server.url(), limit: limit, windowSeconds: window, failOpen: failOpen,
                             keyPrefix: "test:rl:", timeoutSeconds: timeout, reconnectBackoffSeconds: backoff,
                             logger: logs.logger())
    }

    /// Calls `check` until `condition` holds or `seconds` pass — outages and restarts take however
    /// long they take; no test relies on a fixed sleep.
    func eventually(_ seconds: Double = 15, _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + seconds
        while MonotonicClock.now() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return false
    }

    @Test func enforcesTheLimit() throws {
        let server = try RedisServer()
        defer { server.shutdown() }
        let limiter = try limiter(server, limit: 5)
        let decisions = (0..<7).map { _ in limiter.check(key: "tenant-a:key-1") }
        #expect(decisions.map(\.allowed) == [true, true, true, true, true, false, false])
        #expect(decisions.map(\.remaining) == [4, 3, 2, 1, 0, 0, 0])
        #expect(decisions.allSatisfy { $0.limit == 5 })
        let refused = decisions[5]
        #expect(refused.retryAfterSeconds.map { $0 >= 1 && $0 <= 7200 } == true)
        #expect(refused.resetSeconds == refused.retryAfterSeconds)
        // Another key has its own budget.
        #expect(limiter.check(key: "tenant-a:key-2").allowed)
        #expect(limiter.isBackendAvailable)
    }

    @Test func countersLiveInRedisWithAnExpiry() throws {
        let server = try RedisServer()
        defer { server.shutdown() }
        let limiter = try limiter(server, limit: 5, window: 3600)
        _ = limiter.check(key: "k")
        _ = limiter.check(key: "k")
        // One window key — two if the calls happened to straddle a window boundary.
        guard case .array(let keys?) = try server.command(["KEYS", "test:rl:k:*"]) else {
            Issue.record("KEYS failed")
            return
        }
        #expect((1...2).contains(keys.count))
        var total = 0
        for case .bulkString(let name?) in keys {
            let key = String(decoding: name, as: UTF8.self)
            guard case .bulkString(let value?) = try server.command(["GET", key]),
                  case .integer(let ttl) = try server.command(["PTTL", key]) else {
                Issue.record("GET/PTTL failed for \(key)")
                continue
            }
            total += Int(String(decoding: value, as: UTF8.self)) ?? -100
            // Kept for two windows: it serves as the next window's "previous" count.
            #expect(ttl > 3_600_000 && ttl <= 7_200_000)
        }
        #expect(total == 2)
    }

    @Test func twoInstancesSharingOneRedisEnforceOneLimit() throws {
        let server = try RedisServer()
        defer { server.shutdown() }
        // Two limiters with their own connection pools stand in for two server processes.
        let first = try limiter(server, limit: 10)
        let second = try limiter(server, limit: 10)
        let admitted = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: 60) { i in
            let limiter = i % 2 == 0 ? first : second
            if limiter.check(key: "shared-credential").allowed { admitted.add(1, ordering: .relaxed) }
        }
        #expect(admitted.load(ordering: .relaxed) == 10)
        #expect(!first.check(key: "shared-credential").allowed)
        #expect(!second.check(key: "shared-credential").allowed)
    }

    @Test func windowSlidesAndFreesCapacity() throws {
        let server = try RedisServer()
        defer { server.shutdown() }
        let limiter = try limiter(server, limit: 2, window: 1)
        // Exactly when the refusal comes depends on where in the 1 s window the calls land; it comes.
        let refused = (0..<100).lazy.map { _ in limiter.check(key: "k") }.first { !$0.allowed }
        #expect(refused?.retryAfterSeconds.map { (1...2).contains($0) } == true)
        #expect(eventually(5) { limiter.check(key: "k").allowed })
    }

    @Test func scriptIsReloadedAfterScriptFlush() throws {
        let server = try RedisServer()
        defer { server.shutdown() }
        // Our SHA-1 names the script exactly as Redis does.
        #expect(try server.command(["SCRIPT", "LOAD", RedisRateLimiter.script]) == .bulkString(Array(RedisRateLimiter.scriptSHA.utf8)))
        let limiter = try limiter(server, limit: 3)
        #expect(limiter.check(key: "k").allowed)
        #expect(try server.command(["SCRIPT", "FLUSH"]) == .simpleString("OK"))
        // EVALSHA now answers NOSCRIPT; the limiter falls back to EVAL and keeps counting.
        #expect(limiter.check(key: "k").remaining == 1)
        #expect(limiter.isBackendAvailable)
    }

    @Test func authenticatesAndSelectsTheDatabaseFromTheURL() throws {
        let server = try RedisServer(password: "pa ss@word")
        defer { server.shutdown() }
        let encoded = "redis://:pa%20ss%40word@127.0.0.1:\(server.port)/3"
        let limiter = try limiter(server, url: encoded, limit: 2)
        #expect(limiter.check(key: "k").allowed)
        #expect(limiter.isBackendAvailable)
        guard case .array(let inDB3?) = try server.command(["KEYS", "test:rl:*"], database: 3),
              case .array(let inDB0?) = try server.command(["KEYS", "test:rl:*"], database: 0) else {
            Issue.record("KEYS failed")
            return
        }
        #expect(inDB3.count == 1)
        #expect(inDB0.isEmpty)
    }

    @Test func wrongPasswordFailsClosedWithoutLoggingIt() throws {
        let server = try RedisServer(password: "right-password")
        defer { server.shutdown() }
        let limiter = try limiter(server, url: server.url(password: "wrong-password"), limit: 2)
        let d = limiter.check(key: "k")
        #expect(d == limiter.fallbackDecision)
        #expect(!d.allowed)
        #expect(!limiter.isBackendAvailable)
        let lines = logs.all.map(\.text)
        #expect(lines.contains { $0.contains("REDIS_SERVER_ERROR") && $0.contains("WRONGPASS") })
        #expect(!lines.contains { $0.contains("wrong-password") || $0.contains("right-password") })
    }

    @Test(arguments: [true, false])
    func outageAppliesTheFailPolicyThenRecovers(failOpen: Bool) throws {
        let server = try RedisServer(password: "topsecret")
        defer { server.shutdown() }
        let limiter = try limiter(server, limit: 2, failOpen: failOpen, backoff: 0.2)
        #expect(limiter.check(key: "k").allowed)

        server.stop()
        let during = limiter.check(key: "k")
        #expect(during.allowed == failOpen)
        #expect(during == limiter.fallbackDecision)
        #expect(!limiter.isBackendAvailable)
        if failOpen {
            #expect(during.retryAfterSeconds == nil)
        } else {
            #expect(during.remaining == 0)
            #expect(during.retryAfterSeconds == 1)
        }
        // Within the backoff, calls get the fallback at once instead of trying Redis.
        for _ in 0..<50 { #expect(limiter.check(key: "k") == limiter.fallbackDecision) }
        let warnings = logs.all.filter { $0.level == .warning }
        #expect(warnings.count == 1, "one warning per outage")
        #expect(warnings.first?.text.contains("fail_policy=\(failOpen ? "open" : "closed")") == true)

        // Redis comes back empty (no persistence): the limiter reconnects and enforces again.
        try server.start()
        #expect(eventually { limiter.check(key: "k").allowed && limiter.isBackendAvailable })
        #expect(limiter.check(key: "k").allowed)
        #expect(!limiter.check(key: "k").allowed, "limit enforced again after recovery")
        #expect(logs.all.contains { $0.level == .info && $0.text.contains("reachable again") })
        #expect(!logs.all.contains { $0.text.contains("topsecret") })
    }

    @Test func unreachableAtStartUpIsNotAnError() throws {
        let port = try RedisServer.freePort()
        let limiter = try RedisRateLimiter(url: "redis://127.0.0.1:\(port)", limit: 1, windowSeconds: 60, failOpen: true,
                                           logger: logs.logger())
        #expect(limiter.check(key: "k").allowed)
        #expect(!limiter.isBackendAvailable)
    }
}

@Suite("Redis rate limiter against a misbehaving peer")
struct RedisMisbehavingPeerTests {
    let logs = LogCapture()

    struct BadReply: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: String
        var testDescription: String { name }
    }

    static let replies: [BadReply] = [
        .init(name: "not RESP at all", bytes: "HTTP/1.1 400 Bad Request\r\n\r\n"),
        .init(name: "wrong shape", bytes: "*2\r\n:1\r\n:2\r\n"),
        .init(name: "admitted flag out of range", bytes: "*4\r\n:7\r\n:0\r\n:1\r\n:5\r\n"),
        .init(name: "bulk length beyond any sane reply", bytes: "$999999999999\r\n"),
        .init(name: "error reply", bytes: "-ERR something broke\r\n"),
        .init(name: "truncated then closed", bytes: "*4\r\n:1\r\n"),
    ]

    @Test(arguments: replies)
    func badRepliesFallBackWithoutCrashing(_ reply: BadReply) throws {
        let peer = try MisbehavingPeer(.reply(Array(reply.bytes.utf8)))
        defer { peer.stop() }
        let limiter = try RedisRateLimiter(url: peer.url, limit: 5, windowSeconds: 60, failOpen: false,
                                           timeoutSeconds: 2, logger: logs.logger())
        let d = limiter.check(key: "k")
        #expect(d == limiter.fallbackDecision)
        #expect(!limiter.isBackendAvailable)
        #expect(logs.all.contains { $0.level == .warning })
    }

    @Test func silentPeerIsBoundedByTheTimeout() throws {
        let peer = try MisbehavingPeer(.silent)
        defer { peer.stop() }
        let limiter = try RedisRateLimiter(url: peer.url, limit: 5, windowSeconds: 60, failOpen: true,
                                           timeoutSeconds: 0.2, logger: logs.logger())
        let start = MonotonicClock.now()
        let d = limiter.check(key: "k")
        let elapsed = MonotonicClock.now() - start
        #expect(d.allowed)
        #expect(elapsed >= 0.15 && elapsed < 5, "took \(elapsed) s")
        #expect(logs.all.contains { $0.text.contains("REDIS_TIMEOUT") })
    }

    @Test func peerThatHangsUpFallsBack() throws {
        let peer = try MisbehavingPeer(.closeImmediately)
        defer { peer.stop() }
        let limiter = try RedisRateLimiter(url: peer.url, limit: 5, windowSeconds: 60, failOpen: false,
                                           logger: logs.logger())
        #expect(!limiter.check(key: "k").allowed)
        #expect(logs.all.contains { $0.text.contains("REDIS_CONNECTION_FAILED") })
    }

    @Test func malformedURLThrowsAtConstruction() {
        #expect(throws: RateLimitError.self) {
            try RedisRateLimiter(url: "redis://:pw@host:bad", limit: 1, windowSeconds: 1, failOpen: true, logger: logs.logger())
        }
    }
}
