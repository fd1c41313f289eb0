import Domain
import Foundation
import Storage
import Synchronization

/// Long-poll claims that found nothing and are waiting for work. A waiter holds no database
/// connection and no thread: it is a closure that re-runs the claim when woken.
///
/// Wake-ups come from task notifications (LISTEN/NOTIFY, per tenant and type) and from a periodic
/// tick, which also catches work that becomes eligible by time alone (delays, backoff, requeued
/// leases) and is the only source in poll mode (ASYNCGATE_NOTIFY=off, e.g. behind PgBouncer in
/// transaction mode). A per-tenant generation counter closes the race between an empty claim and
/// registering: a notification in between makes registration wake the waiter at once.
public final class ClaimWaiters: Sendable {
    struct Waiter {
        var id: UInt64
        var tenant: UUID
        var acceptTypes: Set<String>?
        var deadline: Double
        var isCancelled: @Sendable () -> Bool
        var wake: @Sendable (_ timedOut: Bool) -> Void
        var handOff: ClaimHandOff?
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var generation: [UUID: UInt64] = [:]
        var nextID: UInt64 = 1
        var lastTick: Double = 0
    }

    private let state = Mutex(State())
    private let timer: DispatchSourceTimerBox
    /// How often every waiter re-checks without a notification.
    let recheckInterval: Double

    public init(recheckInterval: Double) {
        self.recheckInterval = recheckInterval
        timer = DispatchSourceTimerBox(queue: DispatchQueue(label: "asyncgate.claim-waiters"))
        timer.source.schedule(deadline: .now() + 0.05, repeating: 0.05, leeway: .milliseconds(10))
        timer.source.setEventHandler { [weak self] in self?.tick() }
        timer.source.resume()
    }

    deinit { timer.source.cancel() }

    static func now() -> Double { Date().timeIntervalSince1970 }

    public var count: Int { state.withLock { $0.waiters.count } }

    /// The tenant's current generation; read before a claim attempt, passed to `register`.
    public func generation(of tenant: UUID) -> UInt64 { state.withLock { $0.generation[tenant] ?? 0 } }

    /// Parks a waiter until work may be available (`wake(false)`) or the deadline passes
    /// (`wake(true)`). A cancelled waiter (client gone) is ended at the next tick with `wake(true)`,
    /// so its exchange finishes (and its connection is released) without claiming anything.
    /// With a `handOff`, a create of a matching task may claim for the waiter in the create's own
    /// transaction (`take`) instead of waking it.
    public func register(tenant: UUID, acceptTypes: [String]?, deadline: Double, observedGeneration: UInt64,
                         isCancelled: @escaping @Sendable () -> Bool, handOff: ClaimHandOff? = nil,
                         wake: @escaping @Sendable (_ timedOut: Bool) -> Void) {
        let wakeNow = state.withLock { s -> Bool in
            if (s.generation[tenant] ?? 0) != observedGeneration { return true }
            let id = s.nextID
            s.nextID += 1
            s.waiters[id] = Waiter(id: id, tenant: tenant, acceptTypes: acceptTypes.map(Set.init), deadline: deadline,
                                   isCancelled: isCancelled, wake: wake, handOff: handOff)
            return false
        }
        if wakeNow { wake(false) }
    }

    /// Removes and returns the longest-waiting live waiter that could take a task of `type` in
    /// `tenant` and accepts a hand-off. The caller now owns it: it must call exactly one of the
    /// hand-off's `deliver` or `resume`. Cancelled and expired waiters are left to the tick.
    func take(tenant: UUID, type: String) -> ClaimHandOff? {
        let now = Self.now()
        return state.withLock { s -> ClaimHandOff? in
            var chosen: Waiter?
            for w in s.waiters.values where w.tenant == tenant && w.handOff != nil && w.deadline > now
                && (w.acceptTypes == nil || w.acceptTypes!.contains(type)) && (chosen == nil || w.id < chosen!.id) {
                chosen = w
            }
            guard let chosen, !chosen.isCancelled() else { return nil }
            s.waiters[chosen.id] = nil
            return chosen.handOff
        }
    }

    /// A task of `type` (nil: unknown) became available in `tenant`: wake every waiter that could take it.
    public func notify(tenant: UUID, type: String?) {
        let woken = state.withLock { s -> [Waiter] in
            s.generation[tenant, default: 0] += 1
            let matching = s.waiters.values.filter { w in
                w.tenant == tenant && (type == nil || w.acceptTypes == nil || w.acceptTypes!.contains(type!))
            }
            for w in matching { s.waiters[w.id] = nil }
            return matching
        }
        for w in woken { w.wake(false) }
    }

    /// Wakes everyone (e.g. after the notification connection was re-established: events may be lost).
    public func notifyAll() {
        let woken = state.withLock { s -> [Waiter] in
            for key in s.generation.keys { s.generation[key]! += 1 }
            let all = Array(s.waiters.values)
            s.waiters.removeAll()
            return all
        }
        for w in woken { w.wake(false) }
    }

    private func tick() {
        let now = Self.now()
        var expired: [Waiter] = []
        var recheck: [Waiter] = []
        state.withLock { s in
            let periodic = now - s.lastTick >= recheckInterval
            if periodic { s.lastTick = now }
            for (id, w) in s.waiters {
                if w.isCancelled() || w.deadline <= now {
                    s.waiters[id] = nil
                    expired.append(w)
                } else if periodic {
                    s.waiters[id] = nil
                    recheck.append(w)
                }
            }
        }
        for w in expired { w.wake(true) }
        for w in recheck { w.wake(false) }
    }
}

/// What a create needs to claim for a parked waiter inside its own transaction, and to answer it.
public struct ClaimHandOff: Sendable {
    /// The waiter's claim, checked and bounded when it was first made.
    let claim: Engine.PreparedClaim
    /// Answers the waiter with what the create's transaction claimed for it (after the commit).
    let deliver: @Sendable ([ClaimedTask]) -> Void
    /// Nothing was claimed for it: it claims on its own again, as if woken.
    let resume: @Sendable () -> Void
}

/// Dispatch timers are not Sendable; this one is configured once and only cancelled afterwards.
final class DispatchSourceTimerBox: @unchecked Sendable {
    let source: DispatchSourceTimer
    init(queue: DispatchQueue) { source = DispatchSource.makeTimerSource(queue: queue) }
}
