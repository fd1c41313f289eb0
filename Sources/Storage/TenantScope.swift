import Domain
import Foundation
import Logging
import Postgres

/// Row-level security plumbing (migrations/0002): which tenant's rows a connection may see.
///
/// The tenant is a session setting cached on the connection, so a pool that serves one tenant sends
/// it once per connection instead of once per transaction. It is only changed outside transactions
/// (a rolled-back transaction would silently revert it).
public enum TenantScope {
    static let key = "app.tenant_id"

    /// Shows only `tenant`'s rows on this connection; nil shows all tenants (lease sweep, key lookup).
    public static func apply(_ db: PostgresConnection, tenant: UUID?) throws {
        let value = tenant?.lowercasedString ?? "*"
        if db.sessionState[key] == value { return }
        try db.query("SELECT set_config('app.tenant_id', $1, false)", [value])
        db.sessionState[key] = value
    }

    /// Connection set-up for the server's pool: leave superuser (which bypasses RLS) for the
    /// unprivileged asyncgate_app role when the migration could create it.
    public static func useApplicationRole(_ db: PostgresConnection) throws {
        let rows = try db.query("""
            SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asyncgate_app')
               AND pg_has_role(current_user, 'asyncgate_app', 'MEMBER')
            """)
        if rows.first?.bool(0) == true {
            try db.execute("SET ROLE asyncgate_app")
        }
    }

    /// The pool every server component uses: RLS role and generic plans on connect.
    ///
    /// Generic plans: under `plan_cache_mode = auto` PostgreSQL kept re-planning the hot prepared
    /// statements on every execution (a `LIMIT $n` or an `unnest($n)` makes the generic plan look
    /// dearer), and each plan re-inlined and re-parsed the RLS policy functions: perf showed 23 % of
    /// PostgreSQL's CPU in GetCachedPlan during the cycle benchmark, and forcing generic plans took
    /// PostgreSQL from 2.4 to 1.7 ms CPU per job. Statements with optional filters are written per
    /// combination of present filters (`SQLFilters`) so every generic plan has its index conditions.
    ///
    /// No sequential scans where an index exists: a generic plan is made once per connection and kept,
    /// and a server usually makes its plans while the tables are still empty (a fresh deployment). A
    /// plan that scanned an "empty" table then kept scanning it at thousands of rows: measured on a
    /// fresh database, 500 jobs/s at 2.9 ms PostgreSQL CPU per cycle job against 700 jobs/s at 1.9 ms
    /// once the same server reconnected. Every statement here is written for an index. Plans are
    /// also made again from time to time (`PostgresPool.refreshPlans`): a plan made on an empty table
    /// can also pick the wrong index, which no setting forbids.
    public static func makePool(conninfo: String, size: Int, logger: Logger) -> PostgresPool {
        PostgresPool(conninfo: conninfo, size: size, logger: logger, refreshPlans: true, onConnect: { db in
            try useApplicationRole(db)
            try db.execute("SET plan_cache_mode = force_generic_plan")
            try db.execute("SET enable_seqscan = off")
        })
    }
}
