import AsyncGateClient
import Foundation
import JSON
import TestSupport
import Testing

/// Retries happen only where repeating a call is safe. A proxy between client and server drops
/// connections or injects errors on cue; the database shows what the server actually did.
@Suite struct ClientRetryTests {
    func setUp(_ script: [FaultProxy.Action]) throws -> (ServerFixture, FaultProxy, AsyncGateClient) {
        let fixture = try ServerFixture()
        let proxy = try FaultProxy(upstreamPort: fixture.port, script: script)
        return (fixture, proxy, Support.client(port: proxy.port))
    }

    @Test func getsAreRetriedAfterADroppedConnection() throws {
        let (fixture, proxy, client) = try setUp([.dropBeforeForward, .dropAfterForward])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        #expect(try client.listTasks().tasks.isEmpty)
        #expect(proxy.requests == ["GET /v1/tasks", "GET /v1/tasks", "GET /v1/tasks"])
    }

    @Test func getsAreRetriedAfter503HonouringRetryAfter() throws {
        let busy = #"{"detail":"busy","error":{"code":"SERVICE_UNAVAILABLE","message":"busy"}}"#
        let (fixture, proxy, client) = try setUp([.respond(status: 503, body: busy, headers: [("Retry-After", "0")])])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        #expect(try client.health().isHealthy)
        #expect(proxy.requests.count == 2)
    }

    @Test func retriesGiveUpAfterMaxAttempts() throws {
        let (fixture, proxy, client) = try setUp([.dropBeforeForward, .dropBeforeForward, .dropBeforeForward, .dropBeforeForward])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        #expect(throws: AsyncGateError.self) { try client.listTasks() }
        #expect(proxy.requests.count == 3)  // Support.quickRetry.maxAttempts
    }

    @Test func createWithoutKeyIsNotRetried() throws {
        let (fixture, proxy, client) = try setUp([.dropAfterForward])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        do {
            _ = try client.createTask(NewTask(type: "once"), owner: Support.alice)
            Issue.record("expected the dropped connection to surface")
        } catch {
            #expect(error.code == .connectionFailed)
        }
        #expect(proxy.requests.count == 1)
        // The server did create it: a blind retry would have made two.
        #expect(try Support.count(fixture, "SELECT count(*) FROM tasks WHERE type = 'once'") == 1)
    }

    @Test func createWithKeyIsRetriedAndStaysOneTask() throws {
        let (fixture, proxy, client) = try setUp([.dropAfterForward])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        let created = try client.createTask(NewTask(type: "keyed", idempotencyKey: "retry-me"), owner: Support.alice)
        #expect(created.created == false)  // the retry found the task the first try made
        #expect(proxy.requests.count == 2)
        #expect(try Support.count(fixture, "SELECT count(*) FROM tasks WHERE idempotency_key = 'retry-me'") == 1)
    }

    @Test func claimIsNotRetried() throws {
        let (fixture, proxy, client) = try setUp([])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        _ = try client.createTask(NewTask(type: "c"), owner: Support.alice)
        let dropping = try FaultProxy(upstreamPort: fixture.port, script: [.dropAfterForward])
        defer { dropping.close() }
        #expect(throws: AsyncGateError.self) { try Support.client(port: dropping.port).claim(ClaimRequest(workerID: "w")) }
        #expect(dropping.requests.count == 1)
        #expect(try Support.count(fixture, "SELECT count(*) FROM leases") == 1)
    }

    @Test func renewIsNotRetried() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        _ = try client.createTask(NewTask(type: "r"), owner: Support.alice)
        let lease = try #require(try client.claim(ClaimRequest(workerID: "w")).first).lease(workerID: "w")
        let proxy = try FaultProxy(upstreamPort: fixture.port, script: [.dropAfterForward])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        #expect(throws: AsyncGateError.self) { try Support.client(port: proxy.port).renewLease(lease) }
        #expect(proxy.requests.count == 1)
        #expect(try Support.count(fixture, "SELECT renewal_count FROM leases") == 1)
    }

    @Test func completeIsRetriedAndAnsweredOnce() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let created = try client.createTask(NewTask(type: "c"), owner: Support.alice)
        let lease = try #require(try client.claim(ClaimRequest(workerID: "w")).first).lease(workerID: "w")
        let proxy = try FaultProxy(upstreamPort: fixture.port, script: [.dropAfterForward])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        try Support.client(port: proxy.port).complete(lease, result: ["v": 1], artifacts: [["uri": "memory://r"]])
        #expect(proxy.requests.count == 2)
        #expect(try client.getTask(created.taskID).status == .succeeded)
        #expect(try Support.count(fixture, "SELECT count(*) FROM receipts WHERE receipt_type = 'task.completed'") == 1)
    }

    @Test func failIsRetriedAndReportsTheFirstOutcome() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        let created = try client.createTask(NewTask(type: "f"), owner: Support.alice)
        let lease = try #require(try client.claim(ClaimRequest(workerID: "w")).first).lease(workerID: "w")
        let proxy = try FaultProxy(upstreamPort: fixture.port, script: [.dropAfterForward])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        let outcome = try Support.client(port: proxy.port).fail(lease, error: ["message": "transient"], retryable: true)
        #expect(outcome.requeued)
        #expect(proxy.requests.count == 2)
        let info = try client.getTask(created.taskID)
        #expect(info.status == .queued && info.attempt == 1)  // requeued once, not twice
    }

    @Test func unsafeCallsAreNotRetriedOn503() throws {
        let busy = #"{"detail":"busy","error":{"code":"SERVICE_UNAVAILABLE","message":"busy"}}"#
        let (fixture, proxy, client) = try setUp([.respond(status: 503, body: busy, headers: [("Retry-After", "0")])])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        do {
            _ = try client.claim(ClaimRequest(workerID: "w"))
            Issue.record("expected 503")
        } catch {
            #expect(error.code == .unavailable && error.status == 503 && error.retryAfter == 0)
        }
        #expect(proxy.requests.count == 1)
    }

    @Test func keepAliveConnectionsAreReused() throws {
        let fixture = try ServerFixture()
        let proxy = try FaultProxy(upstreamPort: fixture.port, script: [])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        let client = Support.client(port: proxy.port)
        for _ in 0..<5 { _ = try client.health() }
        #expect(proxy.requests.count == 5)
        #expect(proxy.connectionsAccepted == 1)
    }

    @Test func longPollWaitIsSentOnlyWhenSet() throws {
        let (fixture, proxy, client) = try setUp([])
        defer { proxy.close(); withExtendedLifetime(fixture) {} }
        _ = try client.claim(ClaimRequest(workerID: "w"))
        var polling = ClaimRequest(workerID: "w")
        polling.waitSeconds = 0.2
        _ = try client.claim(polling)
        let bodies = try proxy.requestBodies.map { try JSON.parse($0) }
        #expect(bodies.count == 2)
        #expect(bodies[0]["wait_seconds"] == nil)
        #expect(bodies[1]["wait_seconds"] == 0.2)
        #expect(bodies[1]["worker_kind"] == "worker")
    }
}
