-- Reverts 0009_discharge_probe.sql: the plpgsql loop of 0008.
DROP FUNCTION asyncgate_discharged(uuid, uuid[]);
CREATE FUNCTION asyncgate_discharged(p_tenant uuid, p_ids uuid[]) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    candidate uuid;
    r record;
BEGIN
    FOREACH candidate IN ARRAY coalesce(p_ids, '{}') LOOP
        FOR r IN SELECT t.tenant_id FROM public.receipts t
                 WHERE t.parents @> jsonb_build_array(candidate::text)
                   AND t.receipt_type IN ('task.completed', 'task.failed', 'task.canceled') LOOP
            IF r.tenant_id = p_tenant THEN
                RETURN NEXT candidate;
                EXIT;
            END IF;
        END LOOP;
    END LOOP;
END $$;
