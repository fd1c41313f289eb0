import Domain
import Engine
import Foundation
import JSON
import Postgres
import Storage
import Testing
import TestSupport

/// Open obligations come from the trigger-maintained `open_obligations` table, and every candidate
/// is verified against the ledger (`asyncgate_discharged`, a probe of the partial GIN index on
/// terminal receipts' parent ids): a row the table still holds for a discharged obligation is not
/// reported, and only a terminal receipt discharges.
@Suite struct ObligationLedgerTests {
    @Test func aStaleRowForADischargedObligationIsNotReported() throws {
        let f = try EngineFixture()
        let done = try f.create(), failed = try f.create { $0.maxAttempts = 1 }, canceled = try f.create(), open = try f.create()
        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 2
        let claimed = try f.engine.claim(shared, input)
        let byID = Dictionary(uniqueKeysWithValues: claimed.map { ($0.task.taskID, $0) })
        try f.engine.complete(shared, f.ref(try #require(byID[done])), result: [:], artifacts: [["uri": "x"]], deliveryProof: nil)
        _ = try f.engine.fail(shared, f.ref(try #require(byID[failed])), error: ["m": "no"], retryable: false)
        _ = try f.engine.cancelTask(shared, taskID: canceled, by: alice, reason: nil)
        #expect(try f.openObligations().map(\.taskID) == [open])

        // the table drifts: the discharged obligations' rows come back
        for id in [done, failed, canceled] {
            _ = try f.sql("""
                INSERT INTO open_obligations (tenant_id, receipt_id, to_kind, to_id, created_at)
                SELECT tenant_id, receipt_id, to_kind, to_id, created_at FROM receipts
                WHERE task_id = $1 AND receipt_type = 'task.assigned'
                """, [id])
        }
        #expect(try f.count("SELECT count(*) FROM open_obligations") == 4)
        #expect(try f.openObligations().map(\.taskID) == [open], "the ledger says they are discharged")
    }

    @Test func onlyATerminalReceiptDischarges() throws {
        let f = try EngineFixture()
        let id = try f.create()
        let c = try #require(try f.claimOne())
        _ = try f.engine.startTask(shared, f.ref(c))
        try f.engine.reportProgress(shared, f.ref(c), progress: ["pct": 10])
        // task.accepted, task.started and task.progress all name the obligation as a parent
        #expect(try f.count("SELECT count(*) FROM receipts WHERE parents @> jsonb_build_array($1::text)", [c.task.assignedReceiptID]) == 3)
        #expect(try f.openObligations().map(\.taskID) == [id])
    }

    /// A page of open obligations (and the relationship upsert that comes with it) is one round trip.
    @Test func aPageIsOneRoundTrip() throws {
        // no announcements: their NOTIFY would borrow the one connection in the middle of the count
        let f = try EngineFixture(configure: { $0.notifyEnabled = false }, poolSize: 1)
        try f.pool.withConnection { _ = try $0.refreshPlansIfDue(now: .now + .seconds(3600)) }
        for _ in 0..<3 { _ = try f.create() }
        _ = try f.openObligations()  // prepares the statements
        let before = try f.pool.withConnection { $0.roundTrips }
        let page = try f.engine.openObligations(shared, principal: alice, since: nil, limit: 200)
        let after = try f.pool.withConnection { $0.roundTrips }
        #expect(page.openObligations.count == 3)
        #expect(page.relationship.sessionsCount == 2)
        #expect(after - before == 1)
    }

    /// The discharge probe as `asyncgate_discharged` runs it (as the schema owner, outside row-level
    /// security, with its settings) on an analysed ledger: the whole page of candidates in ONE
    /// bitmap scan of the partial GIN index on terminal receipts' parent ids (migrations/0012), not
    /// a walk of the terminal receipts nor a probe per candidate.
    @Test func theDischargeProbeIsOneScanOfThePartialGINIndex() throws {
        let f = try EngineFixture()
        let owner = try PostgresConnection.connect(f.conninfo, logger: TestPostgres.logger)
        defer { owner.close() }
        try owner.execute("""
            INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, parents, hash)
            SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(),
                   (ARRAY['task.accepted', 'task.completed', 'task.result_ready', 'task.failed'])[1 + n % 4],
                   'worker', 'w', 'agent', 'a', jsonb_build_array(gen_random_uuid()::text), md5(n::text)
            FROM generate_series(1, 20000) n;
            ANALYZE receipts
            """)
        // the function's statement, with its settings and its arguments as parameters (a SQL
        // function's statement is planned with them unknown)
        try owner.execute("""
            SET enable_seqscan = off; SET max_parallel_workers_per_gather = 0; SET plan_cache_mode = force_generic_plan;
            PREPARE probe(uuid, uuid[]) AS
            SELECT DISTINCT p.id
            FROM (SELECT t.tenant_id, t.parents FROM public.receipts t
                  WHERE public.asyncgate_parent_ids(t.parents) && $2
                    AND t.receipt_type IN ('task.completed', 'task.failed', 'task.canceled')
                  OFFSET 0) t
            CROSS JOIN LATERAL unnest(public.asyncgate_parent_ids(t.parents)) AS p(id)
            WHERE t.tenant_id = $1 AND p.id = ANY ($2)
            """)
        let candidates = (0..<200).map { _ in Identifiers.next().lowercasedString }
        let plan = try owner.query("""
            EXPLAIN EXECUTE probe('00000000-0000-0000-0000-000000000000', '{\(candidates.joined(separator: ","))}')
            """).compactMap { $0.string(0) }.joined(separator: "\n")
        #expect(plan.contains("Bitmap Index Scan on receipts_parent_ids"), "\(plan)")
        #expect(plan.components(separatedBy: "Bitmap Index Scan").count == 2, "one index scan for all candidates: \(plan)")
        #expect(try owner.query("SELECT count(*) FROM receipts WHERE receipt_type = 'task.completed'").first?.int(0) == 5000)
    }

    /// What the probe answers, on terminal receipts written straight into the table: a candidate is
    /// discharged iff a terminal receipt of the tenant names it among its parents (any position, in
    /// any case), whatever else the page holds; other receipt types and other tenants discharge
    /// nothing; an empty page asks nothing.
    @Test func theDischargeProbeAnswersExactlyTheNamedCandidates() throws {
        let f = try EngineFixture()
        let owner = try PostgresConnection.connect(f.conninfo, logger: TestPostgres.logger)
        defer { owner.close() }
        let ids = (0..<6).map { _ in Identifiers.next() }
        let tenant = "00000000-0000-0000-0000-000000000000", other = "00000000-0000-0000-0000-0000000000aa"
        func insert(_ tenant: String, _ type: String, _ parents: String, _ n: Int) throws {
            _ = try owner.query("""
                INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, parents, hash)
                VALUES ($1, gen_random_uuid(), $2, 'worker', 'w', 'agent', 'a', $3::jsonb, md5($4))
                """, [tenant, type, parents, "probe-\(n)"])
        }
        let s = ids.map(\.lowercasedString)
        try insert(tenant, "task.completed", #"["\#(s[0])"]"#, 0)
        try insert(tenant, "task.canceled", #"["\#(Identifiers.next().lowercasedString)", "\#(s[1].uppercased())"]"#, 1)
        try insert(tenant, "task.failed", #"["\#(s[2])"]"#, 2)
        try insert(tenant, "task.result_ready", #"["\#(s[3])"]"#, 3)   // not a terminator
        try insert(other, "task.completed", #"["\#(s[4])"]"#, 4)       // another tenant
        try insert(tenant, "task.completed", "[]", 5)                     // no parents at all
        let discharged = try owner.query("SELECT asyncgate_discharged($1, $2::uuid[])",
                                         [tenant, PGArray(s)]).compactMap { $0.uuid(0) }
        #expect(Set(discharged) == Set(ids.prefix(3)))
        #expect(discharged.count == 3, "each candidate once")
        #expect(try owner.query("SELECT asyncgate_discharged($1, '{}'::uuid[])", [tenant]).isEmpty)
        // a terminal receipt's parents must be receipt ids: the database refuses others (the index, like
        // the bookkeeping trigger, reads them as uuids); other receipts are not read that way
        #expect(throws: PostgresError.self) { try insert(tenant, "task.completed", #"["not-a-uuid"]"#, 6) }
        #expect(throws: Never.self) { try insert(tenant, "task.progress", #"["not-a-uuid"]"#, 7) }
    }

    /// The probe index has no pending list (migrations/0010, 0012): every search would otherwise
    /// scan all terminal receipts written since the last vacuum, unsorted.
    @Test func terminalReceiptsGoStraightIntoTheDischargeIndex() throws {
        let f = try EngineFixture()
        let owner = try PostgresConnection.connect(f.conninfo, logger: TestPostgres.logger)
        defer { owner.close() }
        let options = try owner.query("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'receipts_parent_ids'")
        #expect(options.first?.string(0)?.contains("fastupdate=off") == true)
        try owner.execute("""
            INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, parents, hash)
            SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'task.completed',
                   'worker', 'w', 'agent', 'a', jsonb_build_array(gen_random_uuid()::text), md5(n::text)
            FROM generate_series(1, 2000) n
            """)
        // pages of pending list merged by the call: none were left
        #expect(try owner.query("SELECT gin_clean_pending_list('receipts_parent_ids'::regclass)").first?.int(0) == 0)
    }

    // MARK: The bookkeeping trigger, once per statement (migrations/0011)

    /// Batches write many receipts in one statement: every obligation the batch create opens, and
    /// exactly the ones the batch completion and failure then close, are in the table — checked
    /// against the ledger itself after each step.
    @Test func batchStatementsOpenAndCloseExactlyTheirObligations() throws {
        let f = try EngineFixture()
        let created = try f.engine.createTasks(shared, (0..<12).map { _ in CreateTaskInput(owner: alice, type: "echo") })
            .map { try $0.get().taskID }
        #expect(try f.count("SELECT count(*) FROM open_obligations") == 12)
        try expectTableMatchesLedger(f)

        var input = ClaimInput(worker: Principal(kind: .worker, id: "w1")); input.maxTasks = 12
        let claimed = try f.engine.claim(shared, input)
        #expect(claimed.count == 12)
        #expect(try f.count("SELECT count(*) FROM open_obligations") == 12, "task.accepted closes nothing")
        let completed = Array(claimed.prefix(7)), failed = Array(claimed.dropFirst(7).prefix(3))
        let results = try f.engine.completeMany(shared, completed.map {
            CompleteItem(ref: f.ref($0), result: ["ok": true], artifacts: [["uri": "x"]], deliveryProof: nil)
        })
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        let failures = try f.engine.failMany(shared, failed.map {
            FailItem(ref: f.ref($0), error: ["m": "no"], retryable: false)
        })
        #expect(failures.allSatisfy { (try? $0.get()) != nil })
        let stillOpen = Set(claimed.dropFirst(10).map(\.task.taskID))
        #expect(Set(try f.openObligations().map(\.taskID)) == stillOpen)
        #expect(try f.count("SELECT count(*) FROM open_obligations") == 2)
        #expect(stillOpen.isSubset(of: Set(created)))
        try expectTableMatchesLedger(f)
    }

    /// Rows written by one statement in any order and shape: an obligation and its terminal
    /// receipt together leave it closed; a terminal receipt naming several obligations closes them
    /// all; a statement with only other receipt types, or one that inserts nothing (ON CONFLICT),
    /// changes nothing.
    @Test func oneStatementOfMixedReceiptsFollowsTheLedger() throws {
        let f = try EngineFixture()
        let owner = try PostgresConnection.connect(f.conninfo, logger: TestPostgres.logger)
        defer { owner.close() }
        let tenant = "00000000-0000-0000-0000-000000000000"
        func insert(_ rows: [(id: String, type: String, parents: [String])]) throws -> Int {
            let values = rows.enumerated().map { i, r in
                "('\(tenant)', '\(r.id)', '\(r.type)', 'agent', 'a', 'agent', 'a', "
                    + "'[\(r.parents.map { "\"\($0)\"" }.joined(separator: ","))]'::jsonb, md5(random()::text || \(i)))"
            }.joined(separator: ", ")
            return try owner.query("""
                INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, parents, hash)
                VALUES \(values) ON CONFLICT (tenant_id, receipt_id) DO NOTHING
                """).affectedRows
        }
        let (a, b, c, d) = (UUID().lowercasedString, UUID().lowercasedString, UUID().lowercasedString, UUID().lowercasedString)
        // the terminal receipt first, its obligation after it, in one statement
        #expect(try insert([(UUID().lowercasedString, "task.canceled", [a]), (a, "task.assigned", [])]) == 2)
        #expect(try f.count("SELECT count(*) FROM open_obligations") == 0)
        // three obligations, then one terminal receipt naming two of them
        #expect(try insert([(b, "task.assigned", []), (c, "task.assigned", []), (d, "task.assigned", [])]) == 3)
        #expect(try insert([(UUID().lowercasedString, "task.failed", [b, c]), (UUID().lowercasedString, "task.progress", [d])]) == 2)
        #expect(try f.count("SELECT count(*) FROM open_obligations") == 1)
        #expect(try f.count("SELECT count(*) FROM open_obligations WHERE receipt_id = $1::uuid", [d]) == 1)
        // only non-terminal receipts naming it; then a statement whose row is skipped
        #expect(try insert([(UUID().lowercasedString, "task.accepted", [d]), (UUID().lowercasedString, "task.started", [d])]) == 2)
        #expect(try insert([(d, "task.completed", [d])]) == 0, "receipt id taken: nothing inserted")
        #expect(try f.count("SELECT count(*) FROM open_obligations WHERE receipt_id = $1::uuid", [d]) == 1)
        #expect(try f.count("SELECT count(*) FROM open_obligations") == 1)
    }

    /// The table holds exactly the ledger's open obligations: task.assigned receipts that no
    /// terminal receipt names as a parent.
    private func expectTableMatchesLedger(_ f: EngineFixture) throws {
        let fromLedger = try f.sql("""
            SELECT a.receipt_id::text FROM receipts a
            WHERE a.receipt_type = 'task.assigned'
              AND NOT EXISTS (SELECT 1 FROM receipts t
                              WHERE t.tenant_id = a.tenant_id AND t.parents @> jsonb_build_array(a.receipt_id::text)
                                AND t.receipt_type IN ('task.completed', 'task.failed', 'task.canceled'))
            """).compactMap { $0.string(0) }
        let inTable = try f.sql("SELECT receipt_id::text FROM open_obligations").compactMap { $0.string(0) }
        #expect(Set(fromLedger) == Set(inTable))
        #expect(fromLedger.count == inTable.count)
    }
}
