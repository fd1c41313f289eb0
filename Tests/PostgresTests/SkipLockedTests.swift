import Postgres
import TestSupport
import Testing

@Suite("Concurrent claiming")
struct SkipLockedTests {
    @Test func eightWorkersClaimEachOf200RowsExactlyOnce() throws {
        let pool = PostgresPool(conninfo: try makeDatabase(), size: 8, logger: TestPostgres.logger)
        defer { pool.close() }
        try pool.withConnection { connection in
            try connection.execute("""
                CREATE TABLE jobs (id int PRIMARY KEY, claimed_by int, claims int NOT NULL DEFAULT 0);
                INSERT INTO jobs (id) SELECT generate_series(1, 200);
                """)
        }
        let claims = LockedBox([Int: [Int]]())  // worker -> ids
        let failures = LockedBox([String]())
        onThreads(8) { worker in
            do {
                while true {
                    let ids = try pool.withConnection(timeout: 30) { connection in
                        try connection.transaction { tx -> [Int] in
                            let ids = try tx.query(
                                "SELECT id FROM jobs WHERE claimed_by IS NULL ORDER BY id LIMIT 3 FOR UPDATE SKIP LOCKED"
                            ).compactMap { $0.int(0) }
                            for id in ids {
                                try tx.query("UPDATE jobs SET claimed_by = $1, claims = claims + 1 WHERE id = $2", [worker, id])
                            }
                            return ids
                        }
                    }
                    if ids.isEmpty { break }
                    claims.withLock { $0[worker, default: []] += ids }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.current == [])
        let all = claims.current.values.flatMap { $0 }
        #expect(all.count == 200)
        #expect(Set(all) == Set(1...200))
        let check = try pool.withConnection { try $0.query("SELECT count(*), min(claims), max(claims) FROM jobs WHERE claimed_by IS NOT NULL")[0] }
        #expect(check.int(0) == 200)
        #expect(check.int(1) == 1)
        #expect(check.int(2) == 1)
    }
}
