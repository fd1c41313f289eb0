import Testing
@testable import RateLimit

@Suite("Sliding-window arithmetic")
struct SlidingWindowTests {
    struct AdmitCase: Sendable, CustomTestStringConvertible {
        var name: String
        var limit: Int
        var previous: Int64
        var current: Int64
        var elapsedMs: Int64
        var admits: Bool
        var testDescription: String { name }
    }

    // Window of 60 s throughout.
    static let admitCases: [AdmitCase] = [
        .init(name: "empty", limit: 3, previous: 0, current: 0, elapsedMs: 0, admits: true),
        .init(name: "one slot left", limit: 3, previous: 0, current: 2, elapsedMs: 59_999, admits: true),
        .init(name: "current full", limit: 3, previous: 0, current: 3, elapsedMs: 0, admits: false),
        .init(name: "previous fully weighted at window start", limit: 3, previous: 3, current: 0, elapsedMs: 0, admits: false),
        .init(name: "previous weighted 2/3 leaves exactly one slot", limit: 3, previous: 3, current: 0, elapsedMs: 20_000, admits: true),
        .init(name: "one ms earlier it does not", limit: 3, previous: 3, current: 0, elapsedMs: 19_999, admits: false),
        .init(name: "previous half weighted plus current", limit: 10, previous: 10, current: 4, elapsedMs: 30_000, admits: true),
        .init(name: "previous half weighted plus current, full", limit: 10, previous: 10, current: 5, elapsedMs: 30_000, admits: false),
        .init(name: "limit one, nothing yet", limit: 1, previous: 0, current: 0, elapsedMs: 10, admits: true),
        .init(name: "limit one, previous still overlapping", limit: 1, previous: 1, current: 0, elapsedMs: 59_999, admits: false),
        .init(name: "odd backend counts are clamped, not overflowed", limit: 3, previous: .max, current: .max, elapsedMs: -5, admits: false),
    ]

    @Test(arguments: admitCases)
    func admission(_ c: AdmitCase) {
        let window = SlidingWindow(limit: c.limit, windowSeconds: 60)
        #expect(window.admits(previous: c.previous, current: c.current, elapsedMs: c.elapsedMs) == c.admits)
    }

    @Test func decisionAfterAdmittedCallWithRoomLeft() {
        let window = SlidingWindow(limit: 5, windowSeconds: 60)
        // previous 2 weighted 0.5 = 1, current 2 → used 3, remaining 2; whole quota back after 2W − e.
        let d = window.decision(allowed: true, previous: 2, current: 2, elapsedMs: 30_000)
        #expect(d == RateLimitDecision(allowed: true, limit: 5, remaining: 2, resetSeconds: 90, retryAfterSeconds: nil))
    }

    @Test func fractionalLeftoverOccupiesASlot() {
        let window = SlidingWindow(limit: 5, windowSeconds: 60)
        // previous 1 weighted 0.75 still counts as a whole call in Remaining.
        let d = window.decision(allowed: true, previous: 1, current: 1, elapsedMs: 15_000)
        #expect(d.remaining == 3)
    }

    @Test func refusedDecisionCarriesRetryAfter() {
        let window = SlidingWindow(limit: 3, windowSeconds: 60)
        // current 3 at e = 0: next window at 60 s, then previous 3 must weigh <= 2 → 20 s in → 80 s.
        let d = window.decision(allowed: false, previous: 0, current: 3, elapsedMs: 0)
        #expect(d == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 80, retryAfterSeconds: 80))
    }

    @Test func lastSlotUsedReportsTimeUntilNextAdmission() {
        let window = SlidingWindow(limit: 3, windowSeconds: 60)
        let d = window.decision(allowed: true, previous: 0, current: 3, elapsedMs: 10_000)
        #expect(d.remaining == 0)
        #expect(d.resetSeconds == 70)
        #expect(d.retryAfterSeconds == nil)
    }

    @Test func subSecondWaitsRoundUpToOne() {
        let window = SlidingWindow(limit: 3, windowSeconds: 60)
        // Admission frees up at e = 20_000; 1 ms to go is still reported as 1 s, never 0.
        let d = window.decision(allowed: false, previous: 3, current: 0, elapsedMs: 19_999)
        #expect(d.retryAfterSeconds == 1)
    }

    /// `millisecondsUntilAdmission` is exact: admission holds at `e + wait` and not at `e + wait − 1`,
    /// checked exhaustively on a small grid, across window boundaries.
    @Test(arguments: 1...4)
    func waitUntilAdmissionIsTheFirstAdmittingInstant(limit: Int) {
        let window = SlidingWindow(limit: limit, windowSeconds: 1)
        for previous in 0...Int64(limit) {
            for current in 0...Int64(limit) {
                for elapsed in stride(from: Int64(0), to: 1000, by: 37) {
                    let wait = window.millisecondsUntilAdmission(previous: previous, current: current, elapsedMs: elapsed)
                    let admitsAt = { (offset: Int64) in Self.admits(window, previous, current, elapsed + offset) }
                    #expect(admitsAt(wait), "p=\(previous) c=\(current) e=\(elapsed) wait=\(wait)")
                    if wait > 0 {
                        #expect(!admitsAt(wait - 1), "p=\(previous) c=\(current) e=\(elapsed) wait=\(wait)")
                    }
                }
            }
        }
    }

    /// Reference model: the counts as they would be at `at` ms from the current window's start.
    static func admits(_ w: SlidingWindow, _ p: Int64, _ c: Int64, _ at: Int64) -> Bool {
        if at < w.windowMs { return w.admits(previous: p, current: c, elapsedMs: at) }
        if at < 2 * w.windowMs { return w.admits(previous: c, current: 0, elapsedMs: at - w.windowMs) }
        return true
    }

    @Test func positionSplitsTimestamps() {
        let window = SlidingWindow(limit: 1, windowSeconds: 60)
        #expect(window.position(atMs: 125_500) == (2, 5_500))
        #expect(window.position(atMs: -7) == (0, 0))
    }
}
