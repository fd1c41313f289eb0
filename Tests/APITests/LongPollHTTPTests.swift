import Foundation
import Glibc
import JSON
import Synchronization
import Testing

/// Long-poll claims over real sockets (`wait_seconds`): a create wakes (or is handed to) a waiting
/// worker, a wait that finds nothing ends in `{"tasks": []}`, and a worker that hangs up while
/// waiting is never leased a task.
@Suite("POST /v1/leases/claim with wait_seconds")
struct LongPollHTTPTests {
    /// Runs `body` on another thread; `wait` returns its result.
    final class Pending<T: Sendable>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var value: Result<T, Error>?
        init(_ body: @escaping @Sendable () throws -> T) {
            Thread {
                self.value = Result { try body() }
                self.done.signal()
            }.start()
        }
        func wait(_ seconds: Double) -> Result<T, Error>? {
            guard done.wait(timeout: .now() + seconds) == .success else { return nil }
            return value
        }
    }

    func waitUntilParked(_ api: APIHarness, _ n: Int) {
        let deadline = Date().addingTimeInterval(10)
        while api.engine.waiters.count < n && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    @Test("a create reaches a worker already waiting, in one response")
    func createReachesWaitingWorker() throws {
        let api = try APIHarness(configure: { $0.claimRecheckSeconds = 60 })
        let worker = api.newClient()
        let started = Date()
        let pending = Pending<(Int, JSON)> {
            let r = try worker.post("/v1/leases/claim", ["worker_id": "w1", "accept_types": ["echo"], "wait_seconds": 20])
            return (r.status, r.json)
        }
        waitUntilParked(api, 1)
        #expect(api.engine.waiters.count == 1)
        let id = try api.createTask()
        let (status, body) = try #require(try pending.wait(10)?.get())
        #expect(status == 200)
        let tasks = try #require(body["tasks"]?.arrayValue)
        #expect(tasks.count == 1 && tasks.first?["task_id"]?.stringValue == id)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try api.status(id) == "leased")
        let receipts = try api.receipts(task: id)
        #expect(receipts.compactMap { $0["receipt_type"]?.stringValue } == ["task.assigned", "task.accepted"])
        #expect(receipts.last?["lease_id"] == tasks.first?["lease_id"])
    }

    @Test("a wait that finds nothing ends with an empty list after wait_seconds")
    func timeoutIsEmpty() throws {
        let api = try APIHarness()
        let started = Date()
        let r = try api.post("/v1/leases/claim", ["worker_id": "w1", "wait_seconds": 1])
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 200)
        #expect(r.json == ["tasks": []])
        #expect(elapsed >= 0.9 && elapsed < 5, "\(elapsed) s")
        #expect(api.engine.waiters.count == 0)
    }

    @Test("a worker that hangs up while waiting is never leased a task")
    func disconnectedWorkerGetsNothing() throws {
        let api = try APIHarness(configure: { $0.claimRecheckSeconds = 0.2 })
        let baseline = api.fixture.server.openConnections
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(api.fixture.port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let body = #"{"worker_id":"gone","wait_seconds":20}"#
        let request = "POST /v1/leases/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        waitUntilParked(api, 1)
        #expect(api.engine.waiters.count == 1)
        close(fd)
        // the waiter is dropped once the server sees the hang-up, before any task exists
        let deadline = Date().addingTimeInterval(5)
        while api.engine.waiters.count > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(api.engine.waiters.count == 0)
        // and its exchange ends, releasing the connection (not held until a timeout)
        while api.fixture.server.openConnections > baseline && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(api.fixture.server.openConnections == baseline)
        let id = try api.createTask()
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try api.status(id) == "queued", "the task was leased to a worker that had hung up")
        #expect(try api.scalar("SELECT count(*) FROM leases") == "0")
        #expect(api.engine.waiters.count == 0)
    }

    @Test("wait_seconds out of range or of the wrong type is a 422 and waits for nothing", arguments: [
        #"{"worker_id":"w1","wait_seconds":31}"#, #"{"worker_id":"w1","wait_seconds":-1}"#,
        #"{"worker_id":"w1","wait_seconds":"5"}"#, #"{"worker_id":"w1","wait_seconds":true}"#,
    ])
    func badWait(_ body: String) throws {
        let api = try APIHarness()
        try api.createTask()
        let started = Date()
        let r = try api.postRaw("/v1/leases/claim", body, headers: ["Content-Type": "application/json"])
        #expect(r.status == 422, "\(r.status) \(r.text)")
        #expect(r.json["error"]?["code"] == "VALIDATION_ERROR" || r.json["code"] == "VALIDATION_ERROR", "\(r.text)")
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(try api.scalar("SELECT count(*) FROM leases") == "0")
    }
}
