import Foundation

/// A value that can be sent as a `$n` parameter in PostgreSQL's text format.
///
/// Values always travel out-of-band in the Bind message, never spliced into SQL text, so a string
/// like `'; DROP TABLE x; --` is only ever data. `nil` means SQL NULL.
public protocol PostgresBindable {
    var postgresText: String? { get }
}

extension String: PostgresBindable {
    public var postgresText: String? { self }
}

extension Substring: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresBindable {
    public var postgresText: String? { self ? "t" : "f" }
}

extension Double: PostgresBindable {
    /// Swift prints the shortest representation that round-trips; only the non-finite spellings
    /// differ from what `float8in` accepts.
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return String(self)
    }
}

extension UUID: PostgresBindable {
    public var postgresText: String? { uuidString.lowercased() }
}

extension Date: PostgresBindable {
    /// ISO-8601 UTC with microseconds, e.g. `2026-11-23T02:50:21.123456Z`.
    public var postgresText: String? { PostgresTimestamp.format(self) }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresText: String? { self?.postgresText ?? nil }
}
