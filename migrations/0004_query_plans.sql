-- Plans measured under load (scripts/bench drain/obligations):
--
-- 1. The obligation trigger's DELETE … USING jsonb_array_elements_text(NEW.parents) got a cached
--    generic plan that scanned all of open_obligations: every completion cost O(open obligations)
--    (drain: 2.8 ms of PostgreSQL CPU per job at 5k tasks, 9.4 ms at 20k). An = ANY(array) on the
--    primary key is always an index probe.
CREATE OR REPLACE FUNCTION receipts_track_obligations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.receipt_type = 'task.assigned' THEN
        INSERT INTO open_obligations (tenant_id, receipt_id, to_kind, to_id, created_at)
        VALUES (NEW.tenant_id, NEW.receipt_id, NEW.to_kind, NEW.to_id, NEW.created_at)
        ON CONFLICT DO NOTHING;
    ELSIF NEW.receipt_type IN ('task.completed', 'task.failed', 'task.canceled')
          AND jsonb_array_length(NEW.parents) > 0 THEN
        DELETE FROM open_obligations o
        WHERE o.tenant_id = NEW.tenant_id
          AND o.receipt_id = ANY (ARRAY(SELECT jsonb_array_elements_text(NEW.parents))::uuid[]);
    END IF;
    RETURN NULL;
END $$;

-- 2. A claim with accept_types walked the leasable index through every queued task of other types
--    (~500 ms per claim with 80k queued tasks of another type). This index serves the type filter
--    directly; claims without accept_types keep using tasks_leasable.
CREATE INDEX tasks_leasable_by_type ON tasks (tenant_id, type, priority DESC, created_at, task_id)
    WHERE status = 'queued';

-- 3. The termination check of GET /v1/obligations/open. Under row-level security the planner may
--    not use the GIN index on receipts.parents: jsonb @> is not LEAKPROOF, so it cannot become an
--    index condition below the security barrier (measured: a sequential scan of the ledger per
--    candidate, 8.7 s for 200 candidates at 100k receipts). Even without RLS, a join against the
--    candidates is planned from the terminator side (O(terminators of the tenant)). This function
--    runs as the schema owner with the tenant passed explicitly and issues exactly one GIN
--    containment probe per candidate (a handful of rows each), filtering tenant and type on those
--    rows; it returns only which of the given ids are discharged, nothing else. search_path is
--    pinned so the definer's rights cannot be borrowed through a shadowing object.
CREATE FUNCTION asyncgate_discharged(p_tenant uuid, p_ids uuid[]) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    candidate uuid;
    r record;
BEGIN
    FOREACH candidate IN ARRAY coalesce(p_ids, '{}') LOOP
        FOR r IN SELECT t.tenant_id, t.receipt_type FROM public.receipts t
                 WHERE t.parents @> jsonb_build_array(candidate::text) LOOP
            IF r.tenant_id = p_tenant AND r.receipt_type IN ('task.completed', 'task.failed', 'task.canceled') THEN
                RETURN NEXT candidate;
                EXIT;
            END IF;
        END LOOP;
    END LOOP;
END $$;
