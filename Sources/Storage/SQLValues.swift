import Foundation
import JSON
import Postgres

/// A JSON value bound as jsonb text.
public struct JSONB: PostgresBindable {
    public var value: JSON
    public init(_ value: JSON) { self.value = value }
    public var postgresText: String? { String(decoding: value.serialized(), as: UTF8.self) }
}

/// A PostgreSQL array literal (`{"a","b"}`) bound as text and cast in SQL (`$n::text[]`). Elements are
/// always quoted and escaped, so no element can break out of the literal; nil elements are NULL.
public struct PGArray: PostgresBindable {
    public var elements: [String?]
    public init(_ elements: [String?]) { self.elements = elements }
    public init(_ elements: [String]) { self.elements = elements.map { Optional($0) } }

    /// The array literal `{"a","b\\"c",NULL}`, written as UTF-8 bytes: only `"` and `\` are
    /// escaped, and those ASCII bytes never occur inside a multi-byte UTF-8 sequence. (Appended
    /// scalar by scalar to a String, the literals of the batch statements cost about a third of
    /// the server's CPU per job in the cycle benchmark.)
    public var postgresText: String? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var out: [UInt8] = []
        out.reserveCapacity(elements.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        out.append(UInt8(ascii: "{"))
        for (i, element) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let element else { out.append(contentsOf: "NULL".utf8); continue }
            out.append(quote)
            for byte in element.utf8 {
                if byte == quote || byte == backslash { out.append(backslash) }
                out.append(byte)
            }
            out.append(quote)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

extension PostgresRow {
    /// Decodes a json/jsonb column with the project's strict parser.
    func json(_ column: Int) throws -> JSON? {
        guard let bytes = bytes(column) else { return nil }
        do {
            return try JSON.parse(bytes, maxDepth: 512)
        } catch {
            throw PostgresError(code: .decodingFailed, sqlState: nil, message: "column \(column) is not valid JSON: \(error)")
        }
    }

    func requireUUID(_ column: Int) throws -> UUID {
        guard let v = uuid(column) else { throw Self.missing(column, "uuid") }
        return v
    }

    func requireString(_ column: Int) throws -> String {
        guard let v = string(column) else { throw Self.missing(column, "text") }
        return v
    }

    func requireInt(_ column: Int) throws -> Int {
        guard let v = int(column) else { throw Self.missing(column, "integer") }
        return v
    }

    func requireDate(_ column: Int) throws -> Date {
        guard let v = date(column) else { throw Self.missing(column, "timestamptz") }
        return v
    }

    static func missing(_ column: Int, _ type: String) -> PostgresError {
        PostgresError(code: .decodingFailed, sqlState: nil, message: "column \(column): expected non-null \(type)")
    }
}

/// Optional filters of a query, written only when present. The server's connections use generic
/// plans (see `TenantScope.makePool`), and a generic plan cannot drop a `($n IS NULL OR …)` branch:
/// a keyset cursor written that way is a filter, not an index condition, so page N would cost O(N).
/// Each combination of present filters is its own statement text (and prepared statement), whose
/// generic plan uses the index for every condition it has. Page sizes are written into the text
/// as integer literals for the same reason: for `LIMIT $n` a generic plan assumes 10 % of the
/// matching rows and may sort them all instead of walking the index (measured: the obligations
/// page cost 11.8 ms of PostgreSQL CPU at 10,000 open obligations). Few distinct page sizes are
/// used in practice, and the statement cache is bounded.
struct SQLFilters {
    private(set) var binds: [(any PostgresBindable)?]
    private(set) var clauses: [String] = []

    /// Starts after the statement's fixed parameters.
    init(fixed: [(any PostgresBindable)?]) { binds = fixed }

    /// The placeholder of a new parameter.
    mutating func bind(_ value: (any PostgresBindable)?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Adds `clause(placeholder)` when `value` is present.
    mutating func add(_ value: (any PostgresBindable)?, _ clause: (String) -> String) {
        guard let value else { return }
        clauses.append(clause(bind(value)))
    }

    /// " AND a AND b", or "" with no filters.
    var sql: String { clauses.map { " AND \($0)" }.joined() }
}
