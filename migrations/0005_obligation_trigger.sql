-- The obligation trigger's DELETE, measured again under generic plans (scripts/bench cycle with
-- BENCH_PROFILE=1): `receipt_id = ANY (ARRAY(SELECT …))` hides the ids from the planner (an
-- InitPlan), so on a young table without statistics it chose a bitmap scan of the tenant's whole
-- open_obligations_to range — every dead row of the churning table included — 0.34 ms per
-- terminal receipt and growing with the backlog. One equality on the full primary key per parent
-- (terminal receipts name one parent) is a unique index probe in every plan: 0.03 ms.
CREATE OR REPLACE FUNCTION receipts_track_obligations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent text;
BEGIN
    IF NEW.receipt_type = 'task.assigned' THEN
        INSERT INTO open_obligations (tenant_id, receipt_id, to_kind, to_id, created_at)
        VALUES (NEW.tenant_id, NEW.receipt_id, NEW.to_kind, NEW.to_id, NEW.created_at)
        ON CONFLICT DO NOTHING;
    ELSIF NEW.receipt_type IN ('task.completed', 'task.failed', 'task.canceled') THEN
        FOR parent IN SELECT jsonb_array_elements_text(NEW.parents) LOOP
            DELETE FROM open_obligations WHERE tenant_id = NEW.tenant_id AND receipt_id = parent::uuid;
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
