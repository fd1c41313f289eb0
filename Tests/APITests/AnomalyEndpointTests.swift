import Foundation
import JSON
import Testing
import TestSupport

@Suite struct AnomalyEndpointTests {
    @Test func workersEmitAgentsCannotUnknownTaskIs404AndRepeatsDedupe() throws {
        let f = try ServerFixture()
        let c = f.client()
        let body: JSON = ["principal_kind": "worker", "principal_id": "scheduler", "to_kind": "agent", "to_id": "alice",
                          "kind": "schedule_overdue", "details": ["late_seconds": 300]]
        let first = try c.post("/v1/anomalies", body)
        #expect(first.status == 200)
        let again = try c.post("/v1/anomalies", body)
        #expect(again.json["receipt_id"] == first.json["receipt_id"], "same anomaly dedupes")
        let inbox = try c.get("/v1/receipts?to_kind=agent&to_id=alice")
        let anomalies = inbox.json["receipts"]?.arrayValue?.filter { $0["receipt_type"] == "system.anomaly" } ?? []
        #expect(anomalies.count == 1)
        #expect(anomalies.first?["body"]?["kind"] == "schedule_overdue")
        #expect(anomalies.first?["from"]?["id"] == "scheduler")
        // an unknown task is 404 and writes nothing
        var withTask = body.objectValue!
        withTask["task_id"] = .string(UUID().uuidString.lowercased())
        #expect(try c.post("/v1/anomalies", .object(withTask)).status == 404)
        // addressed to AsyncGate itself: refused
        var toServer = body.objectValue!
        toServer["to_id"] = "svc:asyncgate"
        #expect(try c.post("/v1/anomalies", .object(toServer)).status == 403)
        #expect(try c.post("/v1/anomalies", ["principal_id": "scheduler", "to_kind": "agent"]).status == 422, "to_id and kind are required")
        #expect(try f.engineFixture.sql("SELECT count(*) FROM receipts WHERE receipt_type = 'system.anomaly'").first?.int(0) == 1)
    }
}
