import CLibPQ

/// One unit of work in a pipeline: a statement (prepared and cached like `query`, text
/// parameters), or a fixed transaction-control command such as BEGIN or COMMIT (sent unnamed).
enum PipelineStep {
    case statement(String, [String?])
    case control(String)
}

/// What became of one pipeline step.
enum PipelineOutcome {
    case succeeded(PostgresResult)
    case failed(PostgresError)
    /// Skipped by the server because an earlier step in the same pipeline failed.
    case aborted
}

extension PostgresConnection {
    /// Sends all `statements` in ONE round trip (libpq pipeline mode) and returns their results in
    /// order.
    ///
    /// Statements are prepared and cached exactly as `query` does (a statement not yet cached is
    /// prepared inside the same pipeline). Up to the closing sync the server runs them as one
    /// implicit transaction (unless a transaction is already open, in which case they are part of
    /// it): if one fails, the ones before it are rolled back too, the ones after it are skipped,
    /// and the first failure is thrown with its SQLSTATE. Keep pipelines short (a handful of
    /// statements): the whole request is written before any result is read.
    public func pipeline(_ statements: [(String, [(any PostgresBindable)?])]) throws -> [PostgresResult] {
        let steps = try statements.map { PipelineStep.statement($0.0, try bindTexts($0.1)) }
        guard !steps.isEmpty else { return [] }
        let prefix = takePendingSteps()
        let results = try runPipeline(prefix + steps)
        return Array(results.suffix(steps.count))
    }

    /// Queues `sql` to run as the last work of the enclosing `transaction`, in the same round trip
    /// as its COMMIT (or in front of the next statement, if the body sends another one). Its
    /// result is not returned, and its error is thrown by whatever sends it (usually
    /// `transaction`, which then rolls back). Inside pipelined savepoints it goes out with the
    /// innermost one's RELEASE, so its failure stays inside that savepoint. Outside a transaction,
    /// or inside a plain savepoint, it runs at once.
    public func queryBeforeCommit(_ sql: String, _ binds: [(any PostgresBindable)?] = []) throws {
        guard transactionOpen, savepointDepth == pipelinedSavepointDepth else {
            try query(sql, binds)
            return
        }
        pendingSteps.append(.statement(sql, try bindTexts(binds)))
    }

    func takePendingSteps() -> [PipelineStep] {
        defer { pendingSteps.removeAll() }
        return pendingSteps
    }

    /// Sends the held-back steps now (before a simple-protocol command or a savepoint).
    func flushPendingSteps() throws {
        guard !pendingSteps.isEmpty else { return }
        _ = try runPipeline(takePendingSteps())
    }

    /// Runs `steps`, throwing the first failure (control failures carry the command as context).
    /// A statement the server forgot is re-prepared and the pipeline retried once, but only when
    /// the failure left no transaction open (as in `query`).
    func runPipeline(_ steps: [PipelineStep]) throws -> [PostgresResult] {
        var outcomes = try sendPipeline(steps)
        if let (index, error) = firstFailure(outcomes, steps), isStaleStatement(error), transactionStatus == PQTRANS_IDLE,
           case .statement(let sql, _) = steps[index],
           !steps.contains(where: { if case .control = $0 { return true } else { return false } }) {
            statements[sql] = nil
            logger.debug("re-preparing stale statement", metadata: ["postgres.sqlstate": "\(error.sqlState ?? "")"])
            outcomes = try sendPipeline(steps)
        }
        if let (_, error) = firstFailure(outcomes, steps) { throw error }
        return outcomes.map { if case .succeeded(let result) = $0 { return result } else { preconditionFailure("unreachable") } }
    }

    private func firstFailure(_ outcomes: [PipelineOutcome], _ steps: [PipelineStep]) -> (Int, PostgresError)? {
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .succeeded: continue
            case .failed(var error):
                if case .control(let sql) = steps[index], error.context == nil { error.context = sql }
                return (index, error)
            case .aborted:
                // Skipped without an earlier failure cannot happen; report it rather than trap.
                return (index, PostgresError(code: .queryFailed, message: "pipeline step was skipped by the server"))
            }
        }
        return nil
    }

    private enum Slot {
        case prepare(sql: String, name: String)
        case step(Int)
    }

    /// One round trip: enter pipeline mode, send every step (preparing uncached statements first),
    /// sync, read one result per message, exit. A connection left in an unknown protocol state is
    /// closed so the pool discards it.
    func sendPipeline(_ steps: [PipelineStep]) throws -> [PipelineOutcome] {
        let handle = try liveHandle()
        let uncached = Set(steps.compactMap { step -> String? in
            if case .statement(let sql, _) = step, statements[sql] == nil { return sql }
            return nil
        })
        if !uncached.isEmpty, statements.count + uncached.count > Self.maxCachedStatements, transactionStatus == PQTRANS_IDLE {
            _ = try check(PQexec(handle, "DEALLOCATE ALL"))
            statements.removeAll()
        }
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError(code: .misuse, message: Self.errorMessage(handle) ?? "cannot enter pipeline mode", context: "pipeline")
        }
        var slots: [Slot] = []
        var preparing: [String: String] = [:]
        var sent = true
        for (index, step) in steps.enumerated() where sent {
            switch step {
            case .control(let sql):
                sent = PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1
            case .statement(let sql, let values):
                var name = statements[sql] ?? preparing[sql]
                if name == nil {
                    let fresh = "s\(nextStatementNumber)"
                    nextStatementNumber += 1
                    sent = PQsendPrepare(handle, fresh, sql, 0, nil) == 1
                    slots.append(.prepare(sql: sql, name: fresh))
                    preparing[sql] = fresh
                    name = fresh
                }
                if sent {
                    sent = withCStringArray(values) { pointers in
                        PQsendQueryPrepared(handle, name!, Int32(pointers.count), pointers, nil, nil, 0)
                    } == 1
                }
            }
            slots.append(.step(index))
        }
        if sent { sent = PQpipelineSync(handle) == 1 }
        roundTrips += 1
        guard sent else { throw abandon(handle, "sending the pipeline failed") }

        var outcomes = [PipelineOutcome](repeating: .aborted, count: steps.count)
        var prepareErrors: [String: PostgresError] = [:]
        for slot in slots {
            guard let result = PQgetResult(handle) else { throw abandon(handle, "pipeline ended early") }
            // Each command's results end with a NULL; anything more is not ours to keep.
            while let extra = PQgetResult(handle) { PQclear(extra) }
            let status = PQresultStatus(result)
            switch slot {
            case .prepare(let sql, let name):
                if status == PGRES_COMMAND_OK {
                    statements[sql] = name
                } else if status != PGRES_PIPELINE_ABORTED {
                    prepareErrors[name] = serverError(result)
                }
                PQclear(result)
            case .step(let index):
                switch status {
                case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                    outcomes[index] = .succeeded(PostgresResult(handle: result))
                case PGRES_PIPELINE_ABORTED:
                    // The execute of a statement whose prepare failed is skipped: report the prepare's error.
                    if case .statement(let sql, _) = steps[index], let name = preparing[sql], let error = prepareErrors[name] {
                        outcomes[index] = .failed(error)
                        prepareErrors[name] = nil
                    }
                    PQclear(result)
                default:
                    outcomes[index] = .failed(serverError(result))
                    PQclear(result)
                }
            }
        }
        guard let sync = PQgetResult(handle) else { throw abandon(handle, "pipeline sync missing") }
        let syncStatus = PQresultStatus(sync)
        PQclear(sync)
        guard syncStatus == PGRES_PIPELINE_SYNC, PQexitPipelineMode(handle) == 1 else {
            throw abandon(handle, "pipeline did not end cleanly")
        }
        return outcomes
    }

    /// The protocol state is unknown: close the connection (the pool then discards it).
    private func abandon(_ handle: OpaquePointer, _ what: String) -> PostgresError {
        let message = Self.errorMessage(handle) ?? what
        close()
        return PostgresError(code: .connectionBroken, message: message, context: "pipeline")
    }
}
