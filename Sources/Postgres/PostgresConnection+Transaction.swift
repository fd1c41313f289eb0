import CLibPQ

extension PostgresConnection {
    /// Runs `body` between BEGIN and COMMIT; ROLLBACK if it throws.
    ///
    /// Failures are kept apart, as in postgres-nio: a failed BEGIN or COMMIT is thrown with
    /// `context` "BEGIN"/"COMMIT" (a serialization failure at COMMIT keeps its SQLSTATE so the
    /// caller can retry); a body error is rethrown unchanged, and a ROLLBACK failure after it is
    /// only logged, because the body's error is the one that explains what happened.
    ///
    /// `pipelined`: BEGIN is not sent on its own but in the same round trip as the body's first
    /// statement, and statements queued with `queryBeforeCommit` go out with COMMIT — so a body of
    /// one `query` plus one `queryBeforeCommit` costs two round trips instead of four. A body that
    /// sends nothing sends no BEGIN/COMMIT at all.
    @discardableResult
    public func transaction<T>(pipelined: Bool = false, _ body: (PostgresConnection) throws -> T) throws -> T {
        guard transactionStatus == PQTRANS_IDLE, !transactionOpen else {
            throw PostgresError(
                code: .misuse, message: "transaction() called while a transaction is open; use savepoint()",
                context: "BEGIN"
            )
        }
        if pipelined {
            pendingSteps = [.control("BEGIN")]
        } else {
            try run("BEGIN", context: "BEGIN")
        }
        transactionOpen = true
        defer {
            transactionOpen = false
            pendingSteps.removeAll()
        }
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackUnlessUnsent()
            throw error
        }
        // If the body swallowed a query error the transaction is aborted, and COMMIT would quietly
        // answer "ROLLBACK". Report that instead of pretending the work was saved.
        if transactionStatus == PQTRANS_INERROR {
            rollbackUnlessUnsent()
            throw PostgresError(
                code: .queryFailed, sqlState: "25P02",
                message: "transaction was aborted by an earlier error inside its body; rolled back",
                context: "COMMIT"
            )
        }
        let tag = try commitPending()
        if tag != "COMMIT" {
            throw PostgresError(code: .queryFailed, sqlState: "25P02", message: "COMMIT answered \(tag)", context: "COMMIT")
        }
        return value
    }

    /// COMMIT, together with any held-back steps. A failing queued statement is a body error:
    /// roll back and rethrow it. Returns the COMMIT command tag.
    private func commitPending() throws -> String {
        let steps = takePendingSteps()
        if case .control("BEGIN")? = steps.first, steps.count == 1 { return "COMMIT" }  // nothing was ever sent
        if steps.isEmpty { return try run("COMMIT", context: "COMMIT") }
        do {
            return try runPipeline(steps + [.control("COMMIT")]).last!.commandTag
        } catch let error as PostgresError where error.context == nil {
            rollbackAfterFailure("ROLLBACK", context: "ROLLBACK")
            throw error
        }
    }

    /// ROLLBACK after a failed body, unless BEGIN itself never left the connection.
    private func rollbackUnlessUnsent() {
        let unsent: Bool
        if case .control("BEGIN")? = pendingSteps.first { unsent = true } else { unsent = false }
        pendingSteps.removeAll()
        if !unsent { rollbackAfterFailure("ROLLBACK", context: "ROLLBACK") }
    }

    /// Runs `body` inside `SAVEPOINT s_n`: RELEASE on success, ROLLBACK TO (then RELEASE) if it
    /// throws, so the enclosing transaction stays usable. Nests. Only valid inside `transaction`.
    @discardableResult
    public func savepoint<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try flushPendingSteps()
        guard transactionStatus == PQTRANS_INTRANS else {
            throw PostgresError(
                code: .misuse,
                message: transactionStatus == PQTRANS_INERROR
                    ? "savepoint() called in an aborted transaction"
                    : "savepoint() called outside a transaction",
                context: "SAVEPOINT"
            )
        }
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "s_\(savepointDepth)"
        try run("SAVEPOINT \(name)", context: "SAVEPOINT")
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackAfterFailure("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)", context: "ROLLBACK TO SAVEPOINT")
            throw error
        }
        if transactionStatus == PQTRANS_INERROR {
            rollbackAfterFailure("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)", context: "ROLLBACK TO SAVEPOINT")
            throw PostgresError(
                code: .queryFailed, sqlState: "25P02",
                message: "savepoint body swallowed an error; rolled back to the savepoint",
                context: "RELEASE SAVEPOINT"
            )
        }
        try run("RELEASE SAVEPOINT \(name)", context: "RELEASE SAVEPOINT")
        return value
    }

    /// Executes a fixed control statement; errors carry `context`. Returns the command tag.
    @discardableResult
    private func run(_ sql: String, context: String) throws -> String {
        do {
            let handle = try liveHandle()
            return try check(PQexec(handle, sql)).commandTag
        } catch var error as PostgresError {
            error.context = context
            throw error
        }
    }

    private func rollbackAfterFailure(_ sql: String, context: String) {
        guard !isBroken else { return }  // nothing to roll back on a dead connection
        do {
            try run(sql, context: context)
        } catch {
            logger.warning("rollback failed", metadata: ["postgres.error": "\(error)"])
        }
    }
}
