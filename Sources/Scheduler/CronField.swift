/// The set of values one cron field allows, as a bitmask over its range.
struct CronField: Equatable, Sendable {
    let bits: UInt64
    let range: ClosedRange<Int>
    /// The field text began with `*` (Vixie cron's "star" flag: it decides the day-of-month /
    /// day-of-week combination and which jobs count as wildcard jobs around DST changes).
    let isStar: Bool

    func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    /// The smallest allowed value >= `value` within the field's range, or nil.
    func next(atOrAfter value: Int) -> Int? {
        guard value <= range.upperBound else { return nil }
        var v = max(value, range.lowerBound)
        while v <= range.upperBound {
            if contains(v) { return v }
            v += 1
        }
        return nil
    }

    var first: Int? { next(atOrAfter: range.lowerBound) }

    var values: [Int] { range.filter(contains) }
}

/// Why a cron expression was rejected. `field` names the part (minute, hour, day-of-month, month,
/// day-of-week, or expression).
public struct CronParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { "cron \(field): \(message)" }
}

extension CronField {
    /// Parses one field: `*`, `n`, `a-b`, any of them with `/step`, comma lists, and (for month and
    /// day-of-week) three-letter English names. `a/step` means a through the field's maximum.
    /// `isDayOfWeek`: 7 also means Sunday (ranges like 5-7 work).
    static func parse(_ text: Substring, name: String, range: ClosedRange<Int>, names: [String] = [],
                      isDayOfWeek: Bool = false) throws(CronParseError) -> CronField {
        func fail(_ why: String) -> CronParseError { CronParseError(field: name, message: why) }
        let upper = isDayOfWeek ? 7 : range.upperBound
        func value(_ token: Substring) throws(CronParseError) -> Int {
            if let n = Int(token), token.allSatisfy(\.isASCII) {
                guard (range.lowerBound...upper).contains(n) else {
                    throw fail("\(n) is outside \(range.lowerBound)-\(upper)")
                }
                return n
            }
            if let i = names.firstIndex(of: token.uppercased()) { return range.lowerBound + i }
            throw fail("\(String(token).debugDescription) is not a number\(names.isEmpty ? "" : " or a name")")
        }
        guard !text.isEmpty else { throw fail("empty field") }
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw fail("empty list item") }
            let parts = item.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail("more than one / in \(String(item).debugDescription)") }
            var step = 1
            if parts.count == 2 {
                guard let s = Int(parts[1]), parts[1].allSatisfy(\.isASCII), s >= 1 else {
                    throw fail("step must be a positive integer in \(String(item).debugDescription)")
                }
                guard s <= upper else { throw fail("step \(s) is larger than the field's range") }
                step = s
            }
            let base = parts[0]
            let low: Int, high: Int
            if base == "*" {
                low = range.lowerBound
                high = range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash])
                high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw fail("range \(String(base)) runs backwards") }
            } else {
                low = try value(base)
                // `5/15` = 5, 20, 35, 50: from the value to the end of the range
                high = parts.count == 2 ? upper : low
            }
            var v = low
            while v <= high {
                let stored = isDayOfWeek && v == 7 ? 0 : v
                bits |= 1 << UInt64(stored)
                v += step
            }
        }
        return CronField(bits: bits, range: range, isStar: text.hasPrefix("*"))
    }
}
