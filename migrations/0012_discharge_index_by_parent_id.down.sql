-- Reverts 0012_discharge_index_by_parent_id.sql: the jsonb_path_ops index on terminal receipts'
-- parents (0008, without a pending list as in 0010) and the per-candidate probe of 0009.
CREATE INDEX receipts_parents ON receipts USING gin (parents jsonb_path_ops) WITH (fastupdate = off)
    WHERE receipt_type IN ('task.completed', 'task.failed', 'task.canceled');

CREATE OR REPLACE FUNCTION asyncgate_discharged(p_tenant uuid, p_ids uuid[]) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
    SELECT c.id FROM unnest(p_ids) AS c(id)
    WHERE EXISTS (SELECT 1 FROM public.receipts t
                  WHERE t.parents @> jsonb_build_array(c.id::text)
                    AND t.receipt_type IN ('task.completed', 'task.failed', 'task.canceled')
                    AND t.tenant_id = p_tenant)
$$;

DROP INDEX receipts_parent_ids;
DROP FUNCTION asyncgate_parent_ids(jsonb);
