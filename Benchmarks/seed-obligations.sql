-- Seeds the receipt ledger for the `obligations` benchmark straight into the schema (the API would
-- take minutes for a million receipts). Tenant: the insecure-dev default tenant.
--   :open     tasks whose task.assigned obligation stays open (1 receipt each)
--   :closed   tasks completed with artifacts (3 receipts each: assigned, completed, result_ready)
--   :principal  the agent every receipt is addressed to: the worst case for a query that would scan
--               the principal's whole ledger instead of only its open obligations.
-- Open and closed tasks are interleaved in time, so open obligations are spread over the ledger.
-- The obligation-tracking trigger is bypassed (session_replication_role = replica; superuser, which
-- the benchmark cluster's `postgres` is) and open_obligations is written directly with what the
-- trigger would leave: one row per open task.assigned. Per-row trigger work made a million-receipt
-- seed take tens of minutes. Keep in step with migrations/ when the schema changes (this is the
-- only benchmark file that knows the tables).
\set ON_ERROR_STOP on
\set tenant '00000000-0000-0000-0000-000000000000'
BEGIN;
SET LOCAL session_replication_role = replica;
-- Ids as the server writes them (Domain.Identifiers: RFC 9562 version 7, time-ordered): 48-bit
-- Unix milliseconds, version 7, a 12-bit sequence, the variant, then random bits. A ledger grown by
-- the server has its ids in time order, so its primary-key B-trees are filled at the right edge and
-- ids written close in time sit close in the index; random (version 4) ids would model another
-- ledger than AsyncGate's.
CREATE FUNCTION pg_temp.uuid7(at timestamptz, seq bigint) RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7'
            || lpad(to_hex(seq % 4096), 3, '0') || to_hex(8 + (random() * 3.999)::int)
            || substr(md5(random()::text), 1, 15))::uuid
$$;
CREATE TEMP TABLE seed ON COMMIT DROP AS
SELECT i, at,
       pg_temp.uuid7(at, 0) AS task_id, pg_temp.uuid7(at, 1) AS assigned_id,
       pg_temp.uuid7(at + interval '1 ms', 2) AS completed_id, pg_temp.uuid7(at + interval '2 ms', 3) AS ready_id,
       is_open
FROM (
    SELECT i,
           -- spreads :open open tasks evenly over the :open + :closed tasks
           (i::bigint * :open) / (:open + :closed) > ((i - 1)::bigint * :open) / (:open + :closed) AS is_open,
           clock_timestamp() - make_interval(secs => (:open + :closed - i) * 0.001) AS at
    FROM generate_series(1, :open + :closed) AS i
) s;

INSERT INTO tasks (tenant_id, task_id, type, payload, created_by_kind, created_by_id, status, attempt,
                   assigned_receipt_id, created_at, updated_at, next_eligible_at,
                   outcome, result, artifacts, completed_at)
SELECT :'tenant'::uuid, task_id, 'bench.seed', jsonb_build_object('i', i), 'agent', :'principal',
       CASE WHEN is_open THEN 'running' ELSE 'succeeded' END, 1,
       assigned_id, at, at, at,
       CASE WHEN is_open THEN NULL ELSE 'succeeded' END,
       CASE WHEN is_open THEN NULL ELSE '{"ok":true}'::jsonb END,
       CASE WHEN is_open THEN NULL ELSE '[{"uri":"bench://seed"}]'::jsonb END,
       CASE WHEN is_open THEN NULL ELSE at END
FROM seed;

INSERT INTO receipts (tenant_id, receipt_id, receipt_type, from_kind, from_id, to_kind, to_id, task_id,
                      parents, body, hash, created_at)
SELECT :'tenant'::uuid, assigned_id, 'task.assigned', 'service', 'svc:asyncgate', 'agent', :'principal', task_id,
       '[]'::jsonb, '{"type":"bench.seed"}'::jsonb, md5(assigned_id::text), at
FROM seed
UNION ALL
SELECT :'tenant'::uuid, completed_id, 'task.completed', 'worker', 'bench-seeder', 'agent', :'principal', task_id,
       jsonb_build_array(assigned_id::text), '{"result":{"ok":true},"artifacts":[{"uri":"bench://seed"}]}'::jsonb,
       md5(completed_id::text), at + interval '1 ms'
FROM seed WHERE NOT is_open
UNION ALL
SELECT :'tenant'::uuid, ready_id, 'task.result_ready', 'service', 'svc:asyncgate', 'agent', :'principal', task_id,
       jsonb_build_array(completed_id::text), '{"status":"succeeded"}'::jsonb, md5(ready_id::text), at + interval '2 ms'
FROM seed WHERE NOT is_open;

INSERT INTO open_obligations (tenant_id, receipt_id, to_kind, to_id, created_at)
SELECT :'tenant'::uuid, assigned_id, 'agent', :'principal', at FROM seed WHERE is_open;
COMMIT;
VACUUM ANALYZE tasks;
VACUUM ANALYZE receipts;
VACUUM ANALYZE open_obligations;
