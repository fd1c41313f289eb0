import CCrypto
import Foundation
import JSON

/// Receipt identity for dedupe (SPEC §5): sha256 over the canonical JSON of the receipt's logical
/// content. Ids and timestamps are excluded, so emitting the same logical receipt twice (a client
/// retry, a replayed request) hashes the same and the ledger keeps the original.
public enum ReceiptHash {
    public static func compute(
        type: String, taskID: UUID?, from: Principal, to: Principal, leaseID: UUID?,
        parents: [UUID], body: JSON
    ) -> String {
        let fields: [String: JSON] = [
            "receipt_type": .string(type),
            "task_id": taskID.map { .string($0.lowercasedString) } ?? .null,
            "from_kind": .string(from.kind.rawValue),
            "from_id": .string(from.id),
            "to_kind": .string(to.kind.rawValue),
            "to_id": .string(to.id),
            "lease_id": leaseID.map { .string($0.lowercasedString) } ?? .null,
            "parents": .array(parents.map { $0.lowercasedString }.sorted().map { .string($0) }),
            "body_sha256": .string(sha256Hex(body.canonicalBytes)),
        ]
        return sha256Hex(JSON.object(fields).canonicalBytes)
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeBytes { buf in
            digest.withUnsafeMutableBufferPointer { ag_sha256(buf.baseAddress, buf.count, $0.baseAddress) }
        }
        precondition(ok == 1, "libcrypto SHA-256 failed")
        return hex(digest)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension UUID {
    /// Lowercase, hyphenated: the only form AsyncGate puts on the wire or into hashes. Written by
    /// hand: `uuidString` formats with `snprintf` on Linux and then needs `lowercased()`.
    public var lowercasedString: String {
        String(unsafeUninitializedCapacity: 36) { writeLowercased(into: $0) }
    }

    /// Appends `lowercasedString`'s UTF-8 bytes to `buffer` (response writers that skip `String`).
    public func appendLowercased(to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 36))
        buffer.withUnsafeMutableBufferPointer { all in
            _ = writeLowercased(into: UnsafeMutableBufferPointer(rebasing: all[start...]))
        }
    }

    func writeLowercased(into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        withUnsafeBytes(of: uuid) { bytes in
            let digits: StaticString = "0123456789abcdef"
            var i = 0
            for (k, b) in bytes.enumerated() {
                if k == 4 || k == 6 || k == 8 || k == 10 { out[i] = UInt8(ascii: "-"); i += 1 }
                out[i] = digits.utf8Start[Int(b >> 4)]
                out[i + 1] = digits.utf8Start[Int(b & 0x0F)]
                i += 2
            }
            return i
        }
    }
}
