-- The discharge check of GET /v1/obligations/open as one SQL statement instead of a plpgsql loop.
--
-- Measured on a 1,000,000-receipt ledger, 200 candidates per page (scripts/bench obligations and
-- psql \timing): the plpgsql loop of 0004/0008 opened a query per candidate, 2.3 ms per page with
-- no candidate discharged and 12-14 ms with 50 of them; this statement is a nested loop of
-- parameterized probes of the partial GIN index on parents (one per candidate, 4 buffers each),
-- 1.1-1.5 ms either way.
--
-- Same contract: which of p_ids a terminal receipt of p_tenant names as a parent; SECURITY DEFINER
-- so that the containment test can use the index (under row-level security it may not: `@>` is not
-- leakproof), search_path pinned. Hash and merge joins are off for the function only: a join
-- against the candidates must start from the candidates — planned from the terminator side it
-- would read every terminal receipt of the tenant. A SQL function's statement is planned on
-- every call, with the statistics of the moment (no plan cached from when the ledger was empty).
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
