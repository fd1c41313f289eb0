import Domain
import Foundation
import JSON
import Testing

@Suite struct ReceiptHashTests {
    let task = UUID(uuidString: "01a20659-5d17-7000-9ace-dee0b8f224b1")!
    let a = UUID(uuidString: "00000000-0000-7000-8000-000000000001")!
    let b = UUID(uuidString: "00000000-0000-7000-8000-000000000002")!

    func hash(parents: [UUID], body: JSON = ["x": 1], from: String = "w1") -> String {
        ReceiptHash.compute(type: "task.completed", taskID: task, from: Principal(kind: .worker, id: from),
                            to: Principal(kind: .agent, id: "alice"), leaseID: nil, parents: parents, body: body)
    }

    @Test func deterministicAndOrderInsensitiveForParents() {
        #expect(hash(parents: [a, b]) == hash(parents: [b, a]))
        #expect(hash(parents: [a]).count == 64)
    }

    @Test func bodyKeyOrderDoesNotMatterButContentDoes() throws {
        let one = try JSON.parse(#"{"a":1,"b":[true,null]}"#)
        let two = try JSON.parse(#"{ "b": [true, null], "a": 1 }"#)
        #expect(hash(parents: [], body: one) == hash(parents: [], body: two))
        #expect(hash(parents: [], body: one) != hash(parents: [], body: ["a": 2]))
    }

    @Test func everyIdentityFieldChangesTheHash() {
        let base = hash(parents: [a])
        #expect(base != hash(parents: [b]))
        #expect(base != hash(parents: [a], from: "w2"))
        #expect(base != ReceiptHash.compute(type: "task.failed", taskID: task, from: Principal(kind: .worker, id: "w1"),
                                            to: Principal(kind: .agent, id: "alice"), leaseID: nil, parents: [a], body: ["x": 1]))
    }

    /// A fixed vector: the hash is part of the wire contract and must not drift between releases.
    @Test func knownVector() {
        let h = ReceiptHash.compute(type: "task.assigned", taskID: task, from: .asyncgate, to: Principal(kind: .agent, id: "alice"),
                                    leaseID: nil, parents: [], body: ["type": "echo"])
        let expectedPreimage = #"{"body_sha256":"\#(ReceiptHash.sha256Hex(Array(#"{"type":"echo"}"#.utf8)))","from_id":"svc:asyncgate","from_kind":"service","lease_id":null,"parents":[],"receipt_type":"task.assigned","task_id":"01a20659-5d17-7000-9ace-dee0b8f224b1","to_id":"alice","to_kind":"agent"}"#
        #expect(h == ReceiptHash.sha256Hex(Array(expectedPreimage.utf8)))
    }

    @Test func sha256OfEmpty() {
        #expect(ReceiptHash.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

@Suite struct IdentifierTests {
    @Test func version7AndMonotonic() {
        var previous = Identifiers.next()
        for _ in 0..<10_000 {
            let id = Identifiers.next()
            #expect(id.uuidString.lowercased() > previous.uuidString.lowercased())
            #expect(Array(id.uuidString)[14] == "7")
            previous = id
        }
    }

    @Test func timestampsFormatAsRFC3339() {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_763_866_221.123456)) == "2025-11-23T02:50:21.123456Z")
    }
}
