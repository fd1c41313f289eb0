-- Reverts 0008_receipt_write_cost.sql: the trigger for every receipt, the GIN index over all
-- receipts, and the probe of 0004.
DROP TRIGGER receipts_track_obligations ON receipts;
CREATE TRIGGER receipts_track_obligations AFTER INSERT ON receipts
    FOR EACH ROW EXECUTE FUNCTION receipts_track_obligations();

DROP INDEX receipts_parents;
CREATE INDEX receipts_parents ON receipts USING gin (parents jsonb_path_ops);

CREATE OR REPLACE FUNCTION asyncgate_discharged(p_tenant uuid, p_ids uuid[]) RETURNS SETOF uuid
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
