import Dispatch
import Synchronization
import Testing
@testable import RateLimit

@Suite("Memory rate limiter")
struct MemoryRateLimiterTests {
    // t = 600 s is the start of window 10 (60 s windows).
    let clock = ManualClock(600)

    func limiter(limit: Int = 3, window: Int = 60, maxKeys: Int = 100_000) -> MemoryRateLimiter {
        MemoryRateLimiter(limit: limit, windowSeconds: window, maxKeys: maxKeys, now: clock.closure)
    }

    @Test func admitsUpToTheLimitThenRefuses() {
        let limiter = limiter()
        let decisions = (0..<4).map { _ in limiter.check(key: "k") }
        #expect(decisions.map(\.allowed) == [true, true, true, false])
        #expect(decisions.map(\.remaining) == [2, 1, 0, 0])
        #expect(decisions.allSatisfy { $0.limit == 3 })
        // Room left: the whole quota is back once these calls age out (end of the next window).
        #expect(decisions[0].resetSeconds == 120)
        #expect(decisions[0].retryAfterSeconds == nil)
        // Last slot and refusal: the next admission is 20 s into the next window (3 × 40/60 = 2 < 3).
        #expect(decisions[2].resetSeconds == 80)
        #expect(decisions[2].retryAfterSeconds == nil)
        #expect(decisions[3].retryAfterSeconds == 80)
        #expect(decisions[3].resetSeconds == 80)
    }

    @Test func retryAfterIsExact() {
        let limiter = limiter()
        for _ in 0..<3 { _ = limiter.check(key: "k") }
        let refused = limiter.check(key: "k")
        clock.advance(by: Double(refused.retryAfterSeconds!) - 0.001)
        #expect(!limiter.check(key: "k").allowed)
        clock.advance(by: 0.001)
        #expect(limiter.check(key: "k").allowed)
    }

    @Test func previousWindowWeighsByOverlap() {
        let limiter = limiter(limit: 10)
        for _ in 0..<10 { _ = limiter.check(key: "k") }
        // Half-way through the next window the previous 10 weigh 5: five more fit, not six.
        clock.set(660 + 30)
        let next = (0..<6).map { _ in limiter.check(key: "k").allowed }
        #expect(next == [true, true, true, true, true, false])
    }

    @Test func quotaFullyResetsAfterTwoWindows() {
        let limiter = limiter()
        for _ in 0..<5 { _ = limiter.check(key: "k") }
        clock.advance(by: 120)
        let d = limiter.check(key: "k")
        #expect(d.allowed)
        #expect(d.remaining == 2)
    }

    @Test func refusedCallsAreNotCounted() {
        let limiter = limiter()
        for _ in 0..<3 { _ = limiter.check(key: "k") }
        for _ in 0..<100 { #expect(!limiter.check(key: "k").allowed) }
        // Hammering while refused does not push the retry time out.
        clock.advance(by: 80)
        #expect(limiter.check(key: "k").allowed)
    }

    @Test func keysAreIndependent() {
        let limiter = limiter(limit: 1)
        #expect(limiter.check(key: "alice").allowed)
        #expect(!limiter.check(key: "alice").allowed)
        #expect(limiter.check(key: "bob").allowed)
    }

    @Test func staleKeysAreSweptOnceTheirCountsAgeOut() {
        let limiter = limiter()
        for i in 0..<5_000 { _ = limiter.check(key: "client-\(i)") }
        #expect(limiter.trackedKeys == 5_000)
        // One window on, the keys still weigh on decisions: kept.
        clock.advance(by: 60)
        _ = limiter.check(key: "fresh")
        #expect(limiter.trackedKeys == 5_001)
        // Two windows on they no longer matter: swept.
        clock.advance(by: 60)
        _ = limiter.check(key: "fresh")
        #expect(limiter.trackedKeys == 1)
    }

    @Test func manyDistinctKeysInOneWindowStayUnderTheCap() {
        let limiter = limiter(maxKeys: 1_000)
        for i in 0..<20_000 {
            _ = limiter.check(key: "ip-\(i)")
            if i % 997 == 0 { #expect(limiter.trackedKeys <= 1_000) }
        }
        #expect(limiter.trackedKeys <= 1_000)
        #expect(limiter.check(key: "ip-19999").allowed)
    }

    @Test func evictionPrefersKeysNotSeenThisWindow() {
        let limiter = limiter(limit: 1, maxKeys: 10)
        for i in 0..<9 { _ = limiter.check(key: "old-\(i)") }
        clock.advance(by: 60)
        #expect(limiter.check(key: "busy").allowed)  // now at the cap
        // A new key at the cap evicts the old-window entries, never "busy" (active this window).
        _ = limiter.check(key: "newcomer")
        #expect(!limiter.check(key: "busy").allowed)
    }

    @Test func hugeKeysAreStoredAsDigests() {
        let limiter = limiter(limit: 1)
        let long = String(repeating: "x", count: 10_000)
        #expect(limiter.check(key: long).allowed)
        #expect(!limiter.check(key: long).allowed)
        #expect(limiter.check(key: long + "y").allowed)
        let stored = limiter.state.withLock { Array($0.entries.keys) }
        #expect(stored.allSatisfy { $0.utf8.count <= RateLimitKey.maxLength })
    }

    @Test func concurrentCallsNeverOverAdmit() {
        let limiter = limiter(limit: 100)
        let admitted = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: 1_000) { _ in
            if limiter.check(key: "shared").allowed { admitted.add(1, ordering: .relaxed) }
        }
        #expect(admitted.load(ordering: .relaxed) == 100)
    }

    @Test func clockSteppingBackNeitherCrashesNorRefunds() {
        let limiter = limiter(limit: 2)
        _ = limiter.check(key: "k")
        _ = limiter.check(key: "k")
        clock.set(0)
        #expect(!limiter.check(key: "k").allowed)
    }

    @Test func defaultClockWorks() {
        let limiter = MemoryRateLimiter(limit: 2, windowSeconds: 3600)
        #expect(limiter.check(key: "k").allowed)
        #expect(limiter.check(key: "k").allowed)
        let refused = limiter.check(key: "k")
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds! >= 1)
    }
}
