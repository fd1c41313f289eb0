import AsyncGateClient
import Foundation
import JSON
import TestSupport
import Testing

/// The reference worker against a real server.
@Suite struct WorkerTests {
    func worker(_ fixture: ServerFixture, id: String = "w1", handlers: [String: any TaskHandler] = ReferenceHandlers.all,
                concurrency: Int = 2, configure: (inout WorkerConfiguration) -> Void = { _ in }) -> Worker {
        var config = WorkerConfiguration(workerID: id)
        config.concurrency = concurrency
        config.leaseTTLSeconds = 10
        config.idlePollInterval = 0.05
        config.errorBackoff = 0.05
        config.shutdownGrace = 10
        configure(&config)
        return Worker(client: Support.client(fixture), configuration: config, handlers: handlers)
    }

    func waitForStatus(_ client: AsyncGateClient, _ id: UUID, _ statuses: Set<TaskStatus>, timeout: Double = 20) throws -> TaskInfo {
        var last: TaskInfo?
        _ = try Support.waitUntil(timeout: timeout) {
            last = try client.getTask(id)
            return statuses.contains(last!.status)
        }
        return try #require(last)
    }

    @Test func referenceHandlersCompleteWithArtifacts() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let echo = try client.createTask(NewTask(type: "echo", payload: ["hello": "world"]), owner: Support.alice)
        let sleep = try client.createTask(NewTask(type: "sleep_then_return", payload: ["seconds": 0.05, "value": [1, 2]]), owner: Support.alice)
        let get = try client.createTask(NewTask(type: "http_get", payload: ["url": .string("http://127.0.0.1:\(fixture.port)/v1/health")]),
                                        owner: Support.alice)
        let running = BackgroundWorker(worker(fixture))
        defer { running.worker.stop(); _ = running.join() }

        let e = try waitForStatus(client, echo.taskID, [.succeeded, .failed])
        #expect(e.status == .succeeded)
        #expect(e.result?.result == ["hello": "world"])
        #expect(e.result?.artifacts[0]?["type"] == "inline")

        let s = try waitForStatus(client, sleep.taskID, [.succeeded, .failed])
        #expect(s.result?.result == ["value": [1, 2], "slept_seconds": 0.05])
        #expect(s.startedAt != nil)  // marked running

        let g = try waitForStatus(client, get.taskID, [.succeeded, .failed])
        #expect(g.status == .succeeded)
        let result = try #require(g.result?.result)
        #expect(result["status"] == 200)
        #expect(result["sha256"]?.stringValue?.count == 64)
        #expect((result["bytes"]?.intValue ?? 0) > 0)
        #expect(g.result?.artifacts[0]?["sha256"] == result["sha256"])
        // artifacts made every result locatable: nothing is still owed
        #expect(try client.openObligations(for: Support.alice).openObligations.isEmpty)
    }

    @Test func badPayloadFailsTerminally() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let bad = try client.createTask(NewTask(type: "sleep_then_return", payload: ["seconds": "soon"]), owner: Support.alice)
        let https = try client.createTask(NewTask(type: "http_get", payload: ["url": "https://example.com/"]), owner: Support.alice)
        let running = BackgroundWorker(worker(fixture))
        defer { running.worker.stop(); _ = running.join() }
        for id in [bad.taskID, https.taskID] {
            let info = try waitForStatus(client, id, [.failed, .succeeded])
            #expect(info.status == .failed)
            #expect(info.attempt == 0)  // terminal at once, no retries
            #expect(info.result?.error["kind"] == "bad_payload")
        }
    }

    @Test func transientErrorsFailRetryably() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        var task = NewTask(type: "http_get", payload: ["url": .string("http://127.0.0.1:\(Support.closedPort())/"), "timeout_seconds": 2])
        task.maxAttempts = 3
        task.retryBackoffSeconds = 3600  // keep it queued after the first failure
        let created = try client.createTask(task, owner: Support.alice)
        let running = BackgroundWorker(worker(fixture))
        defer { running.worker.stop(); _ = running.join() }
        #expect(try Support.waitUntil { try client.getTask(created.taskID).attempt == 1 })
        let info = try client.getTask(created.taskID)
        #expect(info.status == .queued)
        #expect(info.raw["last_error"]?["kind"] == "transient")
    }

    @Test func renewsTheLeaseWhileTheHandlerRuns() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let created = try client.createTask(NewTask(type: "block"), owner: Support.alice)
        let gate = Gate()
        let running = BackgroundWorker(worker(fixture, handlers: ["block": GatedHandler(gate: gate)]) { $0.renewInterval = 0.05 })
        defer { running.worker.stop(); _ = running.join() }
        #expect(try Support.waitUntil {
            try Support.count(fixture, "SELECT coalesce(max(renewal_count), 0) FROM leases") >= 3
        })
        gate.open()
        #expect(try waitForStatus(client, created.taskID, [.succeeded, .failed]).status == .succeeded)
    }

    @Test func gracefulStopFinishesInFlightAndClaimsNothingMore() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let first = try client.createTask(NewTask(type: "block"), owner: Support.alice)
        let gate = Gate()
        let running = BackgroundWorker(worker(fixture, handlers: ["block": GatedHandler(gate: gate)], concurrency: 1))
        _ = try waitForStatus(client, first.taskID, [.running])
        running.worker.stop()
        let second = try client.createTask(NewTask(type: "block"), owner: Support.alice)
        gate.open()
        #expect(running.join())
        #expect(try client.getTask(first.taskID).status == .succeeded)
        #expect(try client.getTask(second.taskID).status == .queued)
        #expect(running.worker.stats.completed == 1)
    }

    @Test func shutdownGraceExpiryLeavesTheLeaseToExpire() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let created = try client.createTask(NewTask(type: "sleep_then_return", payload: ["seconds": 3600]), owner: Support.alice)
        let running = BackgroundWorker(worker(fixture) { $0.shutdownGrace = 0.1 })
        _ = try waitForStatus(client, created.taskID, [.running])
        running.worker.stop()
        #expect(running.join())
        let info = try client.getTask(created.taskID)
        #expect(info.status == .running && info.attempt == 0)  // neither failed nor completed: the lease will expire
        #expect(running.worker.stats.abandoned == 1)
    }

    /// A worker dies mid-task (kill: not another word to the server); its lease expires; another
    /// worker claims the task and completes it, and the attempt counter is unchanged.
    @Test func killedMidTaskThenAnotherWorkerCompletes() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let created = try client.createTask(NewTask(type: "block"), owner: Support.alice)
        let a = BackgroundWorker(worker(fixture, id: "worker-a", handlers: ["block": GatedHandler(gate: Gate())]))
        _ = try waitForStatus(client, created.taskID, [.running])
        a.worker.kill()
        #expect(a.join())

        try expireLeasesAndSweep(fixture)
        let requeued = try client.getTask(created.taskID)
        #expect(requeued.status == .queued && requeued.attempt == 0)

        let b = BackgroundWorker(worker(fixture, id: "worker-b", handlers: ["block": ImmediateHandler()]))
        defer { b.worker.stop(); _ = b.join() }
        let done = try waitForStatus(client, created.taskID, [.succeeded, .failed])
        #expect(done.status == .succeeded)
        #expect(done.attempt == 0)
        #expect(done.result?.result == ["handled_by": "immediate"])
        #expect(a.worker.stats.completed == 0)
        let completions = try fixture.engineFixture.sql("SELECT from_id FROM receipts WHERE receipt_type = 'task.completed'")
        #expect(completions.map { $0.string(0) } == ["worker-b"])
    }
}

func expireLeasesAndSweep(_ fixture: ServerFixture) throws {
    _ = try fixture.engineFixture.sql("UPDATE leases SET expires_at = now() - interval '1 second' WHERE released_at IS NULL")
    _ = try fixture.engine.sweepExpiredLeases()
    // the sweep adds a little jitter to next_eligible_at; make the task claimable now
    _ = try fixture.engineFixture.sql("UPDATE tasks SET next_eligible_at = now() - interval '1 second' WHERE status = 'queued'")
}

/// A latch handlers wait on.
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false
    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
    /// Waits until open or the task is cancelled; true if opened.
    func wait(_ context: TaskContext) -> Bool {
        while true {
            condition.lock()
            let opened = isOpen
            if !opened { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.02)) }
            condition.unlock()
            if opened { return true }
            if context.isCancelled { return false }
        }
    }
}

struct GatedHandler: TaskHandler {
    let gate: Gate
    func handle(_ context: TaskContext) throws -> TaskOutcome {
        guard gate.wait(context) else { throw HandlerFailure.transient("cancelled") }
        return TaskOutcome(result: ["handled_by": "gated"], artifacts: [["uri": "memory://gated"]])
    }
}

struct ImmediateHandler: TaskHandler {
    func handle(_ context: TaskContext) throws -> TaskOutcome {
        TaskOutcome(result: ["handled_by": "immediate"], artifacts: [["uri": "memory://immediate"]])
    }
}
