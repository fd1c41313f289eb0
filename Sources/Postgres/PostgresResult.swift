import CLibPQ

/// The rows of one statement, read in place from libpq's `PGresult` (freed in `deinit`).
///
/// Values stay in libpq's buffer until a row accessor converts them, so reading only the columns
/// you need costs nothing for the others.
public final class PostgresResult: @unchecked Sendable, RandomAccessCollection {
    // @unchecked: the PGresult is immutable after creation and libpq allows concurrent reads of it.
    let handle: OpaquePointer
    public let endIndex: Int
    public let columnCount: Int

    init(handle: OpaquePointer) {
        self.handle = handle
        self.endIndex = Int(PQntuples(handle))
        self.columnCount = Int(PQnfields(handle))
    }

    deinit {
        PQclear(handle)
    }

    public var startIndex: Int { 0 }

    public subscript(i: Int) -> PostgresRow {
        precondition(i >= 0 && i < endIndex, "row index \(i) out of range 0..<\(endIndex)")
        return PostgresRow(result: self, row: Int32(i))
    }

    public var columnNames: [String] {
        (0..<Int32(columnCount)).map { String(cString: PQfname(handle, $0)) }
    }

    /// Index of the column with this name, or nil.
    public func columnIndex(named name: String) -> Int? {
        let index = PQfnumber(handle, name)
        return index < 0 ? nil : Int(index)
    }

    /// Rows affected by INSERT/UPDATE/DELETE/MERGE/SELECT/MOVE/FETCH/COPY (`PQcmdTuples`); 0 otherwise.
    public var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// The command tag, e.g. "INSERT 0 1", "COMMIT", "ROLLBACK".
    public var commandTag: String {
        guard let text = PQcmdStatus(handle) else { return "" }
        return String(cString: text)
    }
}
