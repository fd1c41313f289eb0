-- Scheduler TASKEE state (SPEC §9). The scheduler is a client of AsyncGate: it creates tasks only
-- through the REST API. These tables remember what it has promised to fire, so that a restart, or
-- a second scheduler process, neither loses nor repeats a run. Time columns are written from the
-- scheduler's clock (bound explicitly, never now()) so tests can pin time.

CREATE TABLE schedules (
    tenant_id             uuid        NOT NULL,
    schedule_id           uuid        NOT NULL,
    name                  text,
    -- the principal fired tasks are created for (the creator of the schedule.create task)
    owner_kind            text        NOT NULL,
    owner_id              text        NOT NULL,
    -- 'interval': run_at = anchor_at + k * interval_seconds (k >= 0);
    -- 'cron': a 5-field expression evaluated in `timezone`
    kind                  text        NOT NULL CHECK (kind IN ('interval', 'cron')),
    interval_seconds      integer     CHECK (interval_seconds >= 1),
    cron                  text,
    timezone              text        NOT NULL DEFAULT 'UTC',
    anchor_at             timestamptz NOT NULL,
    jitter_seconds        integer     NOT NULL DEFAULT 0 CHECK (jitter_seconds >= 0),
    misfire_policy        text        NOT NULL CHECK (misfire_policy IN ('skip', 'catch_up_one', 'catch_up_all')),
    -- a run later than this is "missed" (the misfire policy decides whether it still fires)
    misfire_grace_seconds integer     NOT NULL CHECK (misfire_grace_seconds >= 0),
    -- what each firing creates: type, payload, priority, requirements, max_attempts, ...
    task_template         jsonb       NOT NULL,
    status                text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'deleted')),
    -- the first run_at not planned yet; NULL when the schedule can never fire again
    next_run_at           timestamptz,
    last_run_at           timestamptz,
    last_task_id          uuid,
    fired_count           bigint      NOT NULL DEFAULT 0,
    skipped_count         bigint      NOT NULL DEFAULT 0,
    created_by_task_id    uuid,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, schedule_id),
    CHECK ((kind = 'interval') = (interval_seconds IS NOT NULL)),
    CHECK ((kind = 'cron') = (cron IS NOT NULL))
);
-- Planning scans only active schedules, oldest due first; FOR UPDATE SKIP LOCKED on this order lets
-- two schedulers share the work without ever planning the same schedule at once.
CREATE INDEX schedules_due ON schedules (tenant_id, next_run_at) WHERE status = 'active';

-- Planned firings: an outbox written in the same transaction that advances next_run_at, then turned
-- into tasks through the API. The task's idempotency key (schedule:{id}:{run_at}) makes that second
-- step safe to repeat after a crash, so each run_at becomes exactly one task.
CREATE TABLE schedule_runs (
    tenant_id   uuid        NOT NULL,
    schedule_id uuid        NOT NULL,
    run_at      timestamptz NOT NULL,
    -- run_at plus the schedule's deterministic jitter: the run is dispatched from this time on
    fire_at     timestamptz NOT NULL,
    -- pending: not a task yet; created: the task exists; canceled: the schedule was paused or
    -- deleted first; rejected: the API refused the task for good (e.g. an invalid template)
    state       text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'created', 'canceled', 'rejected')),
    task_id     uuid,
    attempts    integer     NOT NULL DEFAULT 0,
    last_error  text,
    planned_at  timestamptz NOT NULL,
    dispatched_at timestamptz,
    PRIMARY KEY (tenant_id, schedule_id, run_at),
    FOREIGN KEY (tenant_id, schedule_id) REFERENCES schedules (tenant_id, schedule_id) ON DELETE CASCADE
);
CREATE INDEX schedule_runs_pending ON schedule_runs (tenant_id, fire_at) WHERE state = 'pending';

-- Stale schedules (overdue by more than two intervals). The server has no endpoint through which a
-- TASKEE may emit a system.anomaly receipt, so the scheduler records them here (deduplicated per
-- overdue run), logs them, and reports them in schedule.status results.
CREATE TABLE schedule_anomalies (
    tenant_id   uuid        NOT NULL,
    schedule_id uuid        NOT NULL,
    kind        text        NOT NULL,
    run_at      timestamptz NOT NULL,
    detected_at timestamptz NOT NULL,
    body        jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, schedule_id, kind, run_at),
    FOREIGN KEY (tenant_id, schedule_id) REFERENCES schedules (tenant_id, schedule_id) ON DELETE CASCADE
);

-- Row-level security as on the core tables (0002): the scheduler names its tenant in every
-- transaction (app.tenant_id); every query also filters by tenant_id explicitly.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['schedules', 'schedule_runs', 'schedule_anomalies'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (asyncgate_all_tenants() OR tenant_id = asyncgate_current_tenant()) WITH CHECK (asyncgate_all_tenants() OR tenant_id = asyncgate_current_tenant())', t);
    END LOOP;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'asyncgate_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON schedules, schedule_runs, schedule_anomalies TO asyncgate_app;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'could not grant the scheduler tables to asyncgate_app';
END $$;
