import Foundation
import JSON

/// Rewrites one server's JSON so that two runs of the same scenario on two servers compare equal
/// exactly when they agree on everything but generated values: every UUID becomes a symbol that
/// names what it identifies (task "A", "lease#1", the receipt "task.completed|A|worker:w1|…"), every
/// timestamp `<time>`, every receipt hash `<hash>` (after checking its shape). Receipt symbols are
/// built from a receipt's logical content — the same inputs its hash covers — so equal symbols and
/// equal parent lists mean equal hash chains modulo ids.
final class Normalizer {
    private var symbols: [String: String] = [:]
    private(set) var problems: [String] = []

    /// Names the tasks by the scenario's names.
    func name(_ id: String?, as symbol: String) {
        guard let id else { return }
        symbols[id.lowercased()] = symbol
    }

    /// Leases get numbered in the order the scenario received them.
    func nameLeases(in outcome: JSON) {
        for task in outcome["tasks"]?.arrayValue ?? [] {
            if let lease = task["lease_id"]?.stringValue, symbols[lease] == nil {
                symbols[lease] = "lease#\(symbols.values.filter { $0.hasPrefix("lease#") }.count + 1)"
            }
        }
    }

    /// Names every receipt by its logical content (type, task, from, to, lease), numbered among
    /// identical ones in ledger order. Call once with all receipts of the run, before normalizing.
    func nameReceipts(_ receipts: [JSON]) {
        var seen = Set<String>()
        var counts: [String: Int] = [:]
        for r in receipts {
            guard let id = r["receipt_id"]?.stringValue, seen.insert(id).inserted else { continue }
            let base = [
                r["receipt_type"]?.stringValue ?? "?", symbol(r["task_id"]), principal(r["from"]), principal(r["to"]), symbol(r["lease_id"]),
            ].joined(separator: "|")
            counts[base, default: 0] += 1
            symbols[id] = counts[base]! == 1 ? base : "\(base)#\(counts[base]!)"
            if let hash = r["hash"]?.stringValue {
                if hash.count != 64 || !hash.allSatisfy(\.isHexDigit) { problems.append("malformed hash \(hash)") }
            } else {
                problems.append("receipt without hash: \(r)")
            }
        }
        let hashes = receipts.compactMap { $0["hash"]?.stringValue }
        if Set(hashes).count != Set(receipts.compactMap { $0["receipt_id"]?.stringValue }).count {
            problems.append("two receipts share a hash")
        }
    }

    func normalize(_ value: JSON, key: String? = nil) -> JSON {
        switch value {
        case .string(let s):
            if key == "hash" { return "<hash>" }
            if key == "request_id" { return "<request-id>" }
            if Self.isUUID(s) { return .string(symbols[s.lowercased()] ?? "<uuid>") }
            if Self.isTimestamp(s) { return "<time>" }
            return value
        case .array(let items):
            return .array(items.map { normalize($0) })
        case .object(let fields):
            var out: [String: JSON] = [:]
            for (k, v) in fields { out[k] = normalize(v, key: k) }
            if let parents = out["parents"]?.arrayValue {
                // Parent order carries no meaning (the hash sorts them).
                out["parents"] = .array(parents.sorted { Self.key($0) < Self.key($1) })
            }
            return .object(out)
        default:
            return value
        }
    }

    /// Normalizes a list whose order is not part of the contract (rows written in one transaction
    /// share a timestamp and are ordered by their random ids).
    func normalizeUnordered(_ values: [JSON]) -> [JSON] {
        values.map { normalize($0) }.sorted { Self.key($0) < Self.key($1) }
    }

    /// A deterministic sort key (`description` follows dictionary order, which is not stable).
    static func key(_ value: JSON) -> String { String(decoding: value.canonicalBytes, as: UTF8.self) }

    private func symbol(_ value: JSON?) -> String {
        guard let s = value?.stringValue else { return "-" }
        return symbols[s.lowercased()] ?? "<uuid>"
    }

    private func principal(_ value: JSON?) -> String {
        "\(value?["kind"]?.stringValue ?? "?"):\(value?["id"]?.stringValue ?? "?")"
    }

    static func isUUID(_ s: String) -> Bool { s.count == 36 && UUID(uuidString: s) != nil }

    static let timestamp = try! NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#)

    static func isTimestamp(_ s: String) -> Bool {
        timestamp.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }
}
