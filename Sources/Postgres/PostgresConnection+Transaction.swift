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
    ///
    /// `pipelined`: SAVEPOINT is not sent on its own but in the same round trip as the body's first
    /// statement, and statements the body queues with `queryBeforeCommit` go out together with
    /// RELEASE at its end — a body of one `query` plus one `queryBeforeCommit` costs two round
    /// trips instead of four. Everything the savepoint sent is settled before it returns, so a
    /// failure is always reported by the savepoint that caused it (a batch item never takes the
    /// blame, or the credit, for its neighbour).
    @discardableResult
    public func savepoint<T>(pipelined: Bool = false, _ body: (PostgresConnection) throws -> T) throws -> T {
        if !pipelined { try flushPendingSteps() }
        guard transactionOpen, transactionStatus != PQTRANS_INERROR,
              pipelined || transactionStatus == PQTRANS_INTRANS
        else {
            throw PostgresError(
                code: .misuse,
                message: transactionStatus == PQTRANS_INERROR
                    ? "savepoint() called in an aborted transaction"
                    : "savepoint() called outside a transaction",
                context: "SAVEPOINT"
            )
        }
        savepointDepth += 1
        if pipelined { pipelinedSavepointDepth += 1 }
        defer {
            savepointDepth -= 1
            if pipelined { pipelinedSavepointDepth -= 1 }
        }
        let name = "s_\(savepointDepth)"
        let mark = pendingSteps.count
        if pipelined {
            pendingSteps.append(.control("SAVEPOINT \(name)"))
        } else {
            try run("SAVEPOINT \(name)", context: "SAVEPOINT")
        }
        let value: T
        do {
            value = try body(self)
            if transactionStatus == PQTRANS_INERROR {
                throw PostgresError(
                    code: .queryFailed, sqlState: "25P02",
                    message: "savepoint body swallowed an error; rolled back to the savepoint",
                    context: "RELEASE SAVEPOINT"
                )
            }
            if pipelined {
                if pendingSteps.count == mark + 1, isUnsentSavepoint(name, at: mark) {
                    pendingSteps.removeLast()  // the body sent and queued nothing: forget the SAVEPOINT
                    return value
                }
                _ = try runPipeline(takePendingSteps() + [.control("RELEASE SAVEPOINT \(name)")])
            } else {
                try run("RELEASE SAVEPOINT \(name)", context: "RELEASE SAVEPOINT")
            }
        } catch {
            abandonSavepoint(name, pipelined: pipelined, mark: mark)
            throw error
        }
        return value
    }

    /// Whether this savepoint's SAVEPOINT is still queued at `mark` (the body has sent nothing yet:
    /// its first round trip takes every queued step).
    private func isUnsentSavepoint(_ name: String, at mark: Int) -> Bool {
        guard pendingSteps.count > mark, case .control(let sql) = pendingSteps[mark] else { return false }
        return sql == "SAVEPOINT \(name)"
    }

    /// After a failed savepoint body: forget what it queued; roll back to the savepoint if it was
    /// ever sent (a pipelined SAVEPOINT still waiting in the queue never was).
    private func abandonSavepoint(_ name: String, pipelined: Bool, mark: Int) {
        if pipelined, isUnsentSavepoint(name, at: mark) {
            pendingSteps.removeSubrange(mark...)
            return
        }
        if pipelined { pendingSteps.removeAll() }
        rollbackAfterFailure("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)", context: "ROLLBACK TO SAVEPOINT")
    }

    /// Executes a fixed control statement; errors carry `context`. Returns the command tag.
    @discardableResult
    private func run(_ sql: String, context: String) throws -> String {
        do {
            let handle = try liveHandle()
            roundTrips += 1
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
