import Foundation
import JSON
import Testing
import TestSupport

@Suite("Idempotency and concurrency over HTTP")
struct IdempotencyTests {
    @Test("the same idempotency_key sent 20× concurrently on separate connections → one task, one task.assigned")
    func concurrentCreate() throws {
        let api = try APIHarness()
        let results = Collected<(Int, String?, Bool?)>()
        let port = api.fixture.port
        concurrently(20) { i in
            let client = TestHTTPClient(port: port)
            do {
                let r = try client.post("/v1/tasks?principal_kind=agent&principal_id=alice",
                                        ["type": "echo", "payload": ["attempt": .int(Int64(i))], "idempotency_key": "once-only"])
                results.append((r.status, r.json["task_id"]?.stringValue, r.json["created"]?.boolValue))
            } catch {
                results.append((-1, "\(error)", nil))
            }
        }
        let all = results.all
        #expect(all.count == 20)
        #expect(all.allSatisfy { $0.0 == 200 }, "statuses: \(all.map(\.0))")
        let ids = Set(all.compactMap(\.1))
        #expect(ids.count == 1, "task ids: \(ids)")
        #expect(all.filter { $0.2 == true }.count == 1, "exactly one request created the task")

        #expect(try api.count("SELECT count(*) FROM tasks") == 1)
        let assigned = try api.get("/v1/receipts/ledger?receipt_type=task.assigned").json["receipts"]?.arrayValue ?? []
        #expect(assigned.count == 1)
        #expect(assigned.first?["task_id"]?.stringValue == ids.first)
        #expect(try api.count("SELECT count(*) FROM receipts") == 1)
        #expect(try api.openObligations().count == 1)
    }

    @Test("concurrent claimers over real sockets never share a task")
    func concurrentClaims() throws {
        let api = try APIHarness()
        for _ in 0..<40 { try api.createTask() }
        let port = api.fixture.port
        let claimed = Collected<String>()
        let failures = Collected<String>()
        concurrently(8) { i in
            let client = TestHTTPClient(port: port)
            while true {
                guard let r = try? client.post("/v1/leases/claim", ["worker_id": .string("w\(i)"), "max_tasks": 3]), r.status == 200 else {
                    failures.append("worker \(i) claim failed")
                    return
                }
                let tasks = r.json["tasks"]?.arrayValue ?? []
                if tasks.isEmpty { return }
                for t in tasks { claimed.append(t["task_id"]?.stringValue ?? "?") }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(claimed.all.count == 40)
        #expect(Set(claimed.all).count == 40)
        #expect(try api.count("SELECT count(*) FROM leases") == 40)
    }
}
