import Domain
import Foundation
import JSON

/// Receipts written straight into response bytes. A page of 200 receipts built as `JSON` values
/// cost a 12-key dictionary (hashing, allocation) per receipt before a byte was written: about
/// 1.7 ms of server CPU per `GET /v1/obligations/open?limit=200`, as much as PostgreSQL spent on
/// the page. The shape is exactly `Wire.receipt`'s (ReceiptWireBytesTests parses one against the other).
extension Wire {
    /// A member of a response object: a `JSON` value, or bytes already written as JSON.
    enum Member {
        case json(JSON)
        case bytes([UInt8])
    }

    /// `{"key":value,...}` in the given order.
    static func object(_ members: KeyValuePairs<String, Member>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        for (n, (key, value)) in members.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            JSONEscaping.appendQuoted(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .json(let json): json.serialize(into: &out)
            case .bytes(let bytes): out.append(contentsOf: bytes)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `[receipt,...]`, each as `Wire.receipt` would write it.
    static func receiptArray(_ receipts: [ReceiptRecord]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 + receipts.count * 640)
        out.append(UInt8(ascii: "["))
        for (n, receipt) in receipts.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            writeReceipt(receipt, into: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    static func receiptBytes(_ receipt: ReceiptRecord) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(640)
        writeReceipt(receipt, into: &out)
        return out
    }

    static func writeReceipt(_ r: ReceiptRecord, into out: inout [UInt8]) {
        func key(_ k: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        }
        func uuid(_ id: UUID?) {
            guard let id else { return key("null") }
            out.append(UInt8(ascii: "\""))
            id.appendLowercased(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        func time(_ date: Date?) {
            guard let date else { return key("null") }
            out.append(UInt8(ascii: "\""))
            Timestamp.appendRFC3339(date, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        func string(_ s: String?) {
            guard let s else { return key("null") }
            JSONEscaping.appendQuoted(s, to: &out)
        }
        func principal(_ p: Principal) {
            key("{\"kind\":")
            string(p.kind.rawValue)
            key(",\"id\":")
            string(p.id)
            out.append(UInt8(ascii: "}"))
        }
        key("{\"receipt_id\":"); uuid(r.receiptID)
        key(",\"receipt_type\":"); string(r.type)
        key(",\"created_at\":"); time(r.createdAt)
        key(",\"from\":"); principal(r.from)
        key(",\"to\":"); principal(r.to)
        key(",\"task_id\":"); uuid(r.taskID)
        key(",\"lease_id\":"); uuid(r.leaseID)
        key(",\"schedule_id\":"); string(r.scheduleID)
        key(",\"parents\":[")
        for (n, parent) in r.parents.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            uuid(parent)
        }
        key("],\"body\":"); r.body.serialize(into: &out)
        key(",\"delivered_at\":"); time(r.deliveredAt)
        key(",\"hash\":"); string(r.hash)
        out.append(UInt8(ascii: "}"))
    }
}
