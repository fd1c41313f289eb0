import Foundation
import JSON
import Testing
import TestSupport

/// Two clients doing conflicting things at the same instant, over real sockets: exactly one wins,
/// the loser gets a clean answer, and the ledger tells one consistent story.
@Suite("Races over HTTP")
struct RaceTests {
    @Test("complete vs cancel at the same time: exactly one terminal outcome, one terminator receipt")
    func completeVersusCancel() throws {
        let api = try APIHarness()
        let port = api.fixture.port
        for round in 0..<8 {
            let lease = try api.leasedTask()
            let statuses = Collected<(String, Int, String?)>()
            concurrently(2) { i in
                let client = TestHTTPClient(port: port)
                if i == 0 {
                    let r = try? client.post("/v1/tasks/\(lease.taskID)/complete", lease.with(["artifacts": ["uri": "u"]]))
                    statuses.append(("complete", r?.status ?? -1, r?.errorCode))
                } else {
                    let r = try? client.post("/v1/tasks/\(lease.taskID)/cancel", ["principal_kind": "agent", "principal_id": "alice"])
                    statuses.append(("cancel", r?.status ?? -1, r?.json["status"]?.stringValue))
                }
            }
            let all = Dictionary(uniqueKeysWithValues: statuses.all.map { ($0.0, ($0.1, $0.2)) })
            let final = try api.status(lease.taskID)
            let types = try api.receiptTypes(task: lease.taskID)
            let terminators = types.filter { ["task.completed", "task.canceled", "task.failed"].contains($0) }
            #expect(terminators.count == 1, "round \(round): terminators \(types)")
            #expect(all["cancel"]?.0 == 200, "round \(round): cancel \(String(describing: all["cancel"]))")
            switch final {
            case "succeeded":
                #expect(all["complete"]?.0 == 200)
                #expect(all["cancel"]?.1 == "succeeded", "cancel must report the status it found")
                #expect(terminators == ["task.completed"])
            case "canceled":
                #expect(all["complete"]?.0 == 400)
                #expect(all["complete"]?.1 == "LEASE_INVALID_OR_EXPIRED")
                #expect(terminators == ["task.canceled"])
            default:
                Issue.record("round \(round): task ended \(final ?? "nil")")
            }
            #expect(try api.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 0)
        }
    }

    @Test("the same complete sent twice at once (a client retry): both answered ok, one completion recorded")
    func doubleComplete() throws {
        let api = try APIHarness()
        let port = api.fixture.port
        for _ in 0..<5 {
            let lease = try api.leasedTask()
            let statuses = Collected<Int>()
            concurrently(2) { _ in
                let r = try? TestHTTPClient(port: port).post("/v1/tasks/\(lease.taskID)/complete", lease.with(["artifacts": ["uri": "u"]]))
                statuses.append(r?.status ?? -1)
            }
            #expect(statuses.all == [200, 200])
            #expect(try api.receiptTypes(task: lease.taskID).filter { $0 == "task.completed" }.count == 1)
        }
    }

    @Test("the same receipt acked 10× at once: one receipt.acknowledged, and every answer names it")
    func concurrentAcks() throws {
        let api = try APIHarness()
        let port = api.fixture.port
        for _ in 0..<3 {
            let id = try api.createTask()
            let assigned = try #require(try api.receipts(task: id).first?["receipt_id"]?.stringValue)
            let answers = Collected<(Int, String?)>()
            concurrently(10) { _ in
                let r = try? TestHTTPClient(port: port).post("/v1/receipts/\(assigned)/ack", ["principal_kind": "agent", "principal_id": "alice"])
                answers.append((r?.status ?? -1, r?.json["receipt_id"]?.stringValue))
            }
            #expect(answers.all.allSatisfy { $0.0 == 200 }, "\(answers.all.map(\.0))")
            let ids = Set(answers.all.compactMap(\.1))
            #expect(ids.count == 1, "acks answered with different receipt ids: \(ids)")
            #expect(try api.receiptTypes(task: id).filter { $0 == "receipt.acknowledged" }.count == 1)
            for ackID in ids {
                #expect(try api.get("/v1/receipts/\(ackID)").status == 200, "the answered receipt \(ackID) does not exist")
            }
        }
    }

    @Test("24 workers create, claim and complete at once (group commit): every task done once, nothing twice")
    func manyWorkersGroupCommitted() throws {
        let api = try APIHarness()
        let port = api.fixture.port
        let failures = Collected<String>()
        let done = Collected<String>()
        concurrently(24) { w in
            let client = TestHTTPClient(port: port)
            for n in 0..<5 {
                guard let created = try? client.post("/v1/tasks?principal_kind=agent&principal_id=alice",
                                                     ["type": "gc.http", "payload": ["w": .int(Int64(w)), "n": .int(Int64(n))]]),
                      created.status == 200 else { failures.append("create"); continue }
                guard let claimed = try? client.post("/v1/leases/claim", ["worker_id": .string("w\(w)"), "accept_types": ["gc.http"]]),
                      claimed.status == 200, let tasks = claimed.json["tasks"]?.arrayValue else { failures.append("claim"); continue }
                for t in tasks {
                    guard let id = t["task_id"]?.stringValue, let lease = t["lease_id"]?.stringValue else { failures.append("claim body"); continue }
                    let r = try? client.post("/v1/tasks/\(id)/complete", ["worker_id": .string("w\(w)"), "lease_id": .string(lease),
                                                                        "result": ["ok": true], "artifacts": [["uri": "x"]]])
                    if r?.status == 200 { done.append(id) } else { failures.append("complete \(r?.status ?? -1)") }
                }
            }
        }
        // whatever a worker's claim missed (another took its task) is still queued: drain it
        while try api.count("SELECT count(*) FROM tasks WHERE status = 'queued'") > 0 {
            let lease = try api.claimOne(worker: "sweeper", ["accept_types": ["gc.http"]])
            #expect(try api.complete(lease).status == 200)
            done.append(lease.taskID)
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(done.all.count == 120 && Set(done.all).count == 120, "each of the 120 tasks completed exactly once")
        #expect(try api.count("SELECT count(*) FROM tasks WHERE status = 'succeeded'") == 120)
        for type in ["task.assigned", "task.accepted", "task.completed", "task.result_ready"] {
            #expect(try api.count("SELECT count(*) FROM receipts WHERE receipt_type = '\(type)'") == 120, "\(type)")
        }
        #expect(try api.count("SELECT count(*) FROM leases WHERE released_at IS NULL") == 0)
        #expect(try api.openObligations().isEmpty)
        let metrics = try api.get("/v1/metrics").json["metrics"]
        let batched = ["creates", "claims", "completions"].map { metrics?["group_commit_\($0)_calls"]?.intValue ?? 0 }
        #expect(batched.reduce(0, +) > 0, "some calls went in shared batches: \(batched)")
    }
}
