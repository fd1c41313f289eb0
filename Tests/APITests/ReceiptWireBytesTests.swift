@testable import API
import Domain
import Foundation
import JSON
import Testing

/// Receipts are written straight into response bytes (Wire+Bytes.swift). These pin the bytes to
/// the documented receipt shape, field by field, including the awkward values.
@Suite("Receipts written as bytes")
struct ReceiptWireBytesTests {
    static let awkward = ["plain", "quote \" and backslash \\", "tab\tnewline\ncr\r", "ctl \u{01}\u{1f} del \u{7f}",
                          "accents é ü", "CJK 漢字", "emoji 🚀", ""]

    func receipt(_ n: Int, optionals: Bool) -> ReceiptRecord {
        let text = Self.awkward[n % Self.awkward.count]
        return ReceiptRecord(
            receiptID: UUID(), type: "task.\(text)",
            from: Principal(kind: .worker, id: "w-\(text)"), to: Principal(kind: .agent, id: text),
            taskID: optionals ? UUID() : nil, leaseID: optionals ? UUID() : nil, scheduleID: optionals ? "s-\(text)" : nil,
            parents: optionals ? [UUID(), UUID()] : [],
            body: ["text": .string(text), "n": .int(Int64(n)), "x": 1.5, "nested": ["a": [true, .null]], "empty": [:]],
            hash: String(repeating: "ab", count: 32), createdAt: Date(timeIntervalSince1970: 1_790_000_000.123456 + Double(n)),
            deliveredAt: optionals ? Date(timeIntervalSince1970: 1_790_000_100.5) : nil, instance: nil)
    }

    /// The wire shape (COMPAT.md), built independently of the writer.
    func expected(_ r: ReceiptRecord) -> JSON {
        func id(_ u: UUID?) -> JSON { u.map { .string($0.uuidString.lowercased()) } ?? .null }
        func time(_ d: Date?) -> JSON { d.map { .string(Timestamp.rfc3339($0)) } ?? .null }
        return [
            "receipt_id": id(r.receiptID), "receipt_type": .string(r.type), "created_at": time(r.createdAt),
            "from": ["kind": .string(r.from.kind.rawValue), "id": .string(r.from.id)],
            "to": ["kind": .string(r.to.kind.rawValue), "id": .string(r.to.id)],
            "task_id": id(r.taskID), "lease_id": id(r.leaseID), "schedule_id": r.scheduleID.map { .string($0) } ?? .null,
            "parents": .array(r.parents.map { id($0) }), "body": r.body, "delivered_at": time(r.deliveredAt),
            "hash": .string(r.hash),
        ]
    }

    @Test("every field, with and without the optional ones, over awkward strings")
    func receiptMatchesTheWireShape() throws {
        for n in 0..<(2 * Self.awkward.count) {
            let r = receipt(n, optionals: n % 2 == 0)
            let bytes = Wire.receiptBytes(r)
            #expect(try JSON.parse(bytes) == expected(r), "receipt \(n)")
        }
    }

    @Test("arrays and objects of receipts")
    func arraysAndObjects() throws {
        let receipts = (0..<5).map { receipt($0, optionals: $0 != 2) }
        #expect(try JSON.parse(Wire.receiptArray(receipts)) == .array(receipts.map(expected)))
        #expect(try JSON.parse(Wire.receiptArray([])) == .array([]))
        let object = Wire.object(["receipts": .bytes(Wire.receiptArray(receipts)), "next_cursor": .json(.null), "k\"ey": .json(1)])
        #expect(try JSON.parse(object) == ["receipts": .array(receipts.map(expected)), "next_cursor": .null, "k\"ey": 1])
        #expect(String(decoding: Wire.object([:]), as: UTF8.self) == "{}")
    }

    @Test("timestamps and ids appended as bytes equal their String forms")
    func bytesHelpers() {
        for seconds in [0.0, 1_790_000_000.999999, 1_790_000_000.0000004, 4_102_444_799.5] {
            let date = Date(timeIntervalSince1970: seconds)
            var out: [UInt8] = [1]
            Timestamp.appendRFC3339(date, to: &out)
            #expect(out == [1] + Array(Timestamp.rfc3339(date).utf8))
        }
        let id = UUID()
        var out: [UInt8] = []
        id.appendLowercased(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == id.uuidString.lowercased())
    }
}
