import CLibPQ
import Foundation

/// One row of a `PostgresResult`, columns read by index. Accessors return nil for SQL NULL and
/// for text that does not parse as the requested type; a column index out of range is a
/// programming error and traps.
public struct PostgresRow {
    let result: PostgresResult
    let row: Int32

    public func isNull(_ column: Int) -> Bool {
        PQgetisnull(result.handle, row, checked(column)) != 0
    }

    public func string(_ column: Int) -> String? {
        withBytes(column) { String(decoding: $0, as: UTF8.self) }
    }

    /// The raw text bytes (e.g. jsonb text passed through without decoding).
    public func bytes(_ column: Int) -> [UInt8]? {
        withBytes(column) { Array($0) }
    }

    public func int(_ column: Int) -> Int? {
        withBytes(column) { Self.parseInt($0) } ?? nil
    }

    /// PostgreSQL's text form of boolean is `t` / `f`.
    public func bool(_ column: Int) -> Bool? {
        withBytes(column) { bytes -> Bool? in
            guard bytes.count == 1 else { return nil }
            switch bytes[0] {
            case UInt8(ascii: "t"): return true
            case UInt8(ascii: "f"): return false
            default: return nil
            }
        } ?? nil
    }

    /// float8 text, including `NaN`, `Infinity`, `-Infinity` (strtod accepts all three).
    public func double(_ column: Int) -> Double? {
        let column = checked(column)
        guard PQgetisnull(result.handle, row, column) == 0, let text = PQgetvalue(result.handle, row, column)
        else { return nil }
        var end: UnsafeMutablePointer<CChar>?
        let value = strtod(text, &end)
        guard let end, end != text, end.pointee == 0 else { return nil }
        return value
    }

    public func uuid(_ column: Int) -> UUID? {
        withBytes(column) { PostgresUUID.parse($0) } ?? nil
    }

    /// A timestamptz as printed with TimeZone=UTC, DateStyle=ISO (see `PostgresTimestamp.parse`).
    public func date(_ column: Int) -> Date? {
        withBytes(column) { PostgresTimestamp.parse($0) } ?? nil
    }

    // MARK: Helpers

    private func checked(_ column: Int) -> Int32 {
        precondition(column >= 0 && column < result.columnCount, "column \(column) out of range 0..<\(result.columnCount)")
        return Int32(column)
    }

    private func withBytes<T>(_ column: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T? {
        let column = checked(column)
        guard PQgetisnull(result.handle, row, column) == 0, let value = PQgetvalue(result.handle, row, column)
        else { return nil }
        let length = Int(PQgetlength(result.handle, row, column))
        return body(UnsafeRawBufferPointer(start: value, count: length))
    }

    static func parseInt(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int(byte - UInt8(ascii: "0"))
            // Accumulate negatively so Int.min parses without overflow.
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(digit)
            guard !o1, !o2 else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        let (positive, overflow) = (0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }
}
