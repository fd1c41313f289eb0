@testable import API
import Foundation
import Synchronization
import Testing

@Suite struct BlockingPoolTests {
    /// Stop runs what is queued, refuses new work, and lets every thread exit.
    @Test func stopFinishesQueuedWorkThenTheThreadsExit() throws {
        let pool = BlockingPool(threads: 4, maxQueued: 100, name: "bpstop")
        for _ in 0..<500 where pool.liveThreads.load(ordering: .relaxed) < 4 { usleep(10_000) }
        #expect(pool.liveThreads.load(ordering: .relaxed) == 4)
        let ran = Atomic<Int>(0)
        let gate = DispatchSemaphore(value: 0)
        for _ in 0..<4 { #expect(pool.submit { gate.wait(); ran.add(1, ordering: .relaxed) }) }
        for _ in 0..<10 { #expect(pool.submit { ran.add(1, ordering: .relaxed) }) }
        pool.stop()
        pool.stop()  // idempotent
        #expect(!pool.submit { ran.add(1, ordering: .relaxed) }, "refused after stop")
        for _ in 0..<4 { gate.signal() }
        let deadline = Date().addingTimeInterval(10)
        while (ran.load(ordering: .relaxed) < 14 || pool.liveThreads.load(ordering: .relaxed) > 0) && Date() < deadline { usleep(10_000) }
        #expect(ran.load(ordering: .relaxed) == 14)
        #expect(pool.liveThreads.load(ordering: .relaxed) == 0, "the pool's threads exited")
    }
}
