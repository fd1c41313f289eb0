-- The discharge check of GET /v1/obligations/open (asyncgate_discharged) as ONE probe of a GIN
-- index over terminal receipts' parent ids, instead of one probe per candidate of a GIN index over
-- hashed jsonb paths.
--
-- Why. The old index (receipts_parents, jsonb_path_ops) keys each parent by a hash of its JSON
-- path and value: the keys of a page's 200 candidates are scattered over the whole index, and the
-- function ran one bitmap scan per candidate. On a 1,000,000-receipt ledger that part of the page
-- grew with the ledger (psql EXPLAIN ANALYZE, the benchmark's seed, 200 open candidates): 0.31 ms
-- at 10,000 receipts, 0.72-1.03 ms at 1,000,000. Keyed by the parent ids themselves (uuid, GIN
-- array_ops), the keys are AsyncGate's time-ordered ids (Domain.Identifiers, version 7): a page of
-- the oldest open obligations probes neighbouring keys, all 200 in one bitmap index scan
-- (`&&`, the candidates as one array): 0.18 ms for the scan, 0.44 ms for the whole function call,
-- at 1,000,000 receipts.
--
-- What is indexed: asyncgate_parent_ids(parents), the receipt's parents as uuid[], for terminal
-- receipts only (the only ones that discharge; as before). Parents are receipt ids (SPEC §5: every
-- parent must exist in the tenant), which the API checks before writing; a terminal receipt whose
-- parents were not all UUIDs could not be indexed and is refused by the database.
CREATE FUNCTION asyncgate_parent_ids(p_parents jsonb) RETURNS uuid[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT e::uuid FROM pg_catalog.jsonb_array_elements_text(p_parents) AS e)
$$;

-- No pending list, for the reason 0010 gives: every search would otherwise also scan, unsorted,
-- all terminal receipts written since the last vacuum.
CREATE INDEX receipts_parent_ids ON receipts USING gin (asyncgate_parent_ids(parents)) WITH (fastupdate = off)
    WHERE receipt_type IN ('task.completed', 'task.failed', 'task.canceled');

DROP INDEX receipts_parents;

-- Same contract as 0009: which of p_ids a terminal receipt of p_tenant names as a parent.
-- SECURITY DEFINER so that the overlap test can use the index (under row-level security it may
-- not: `&&` is not leakproof), search_path pinned. The statement is planned on every call, and the
-- planner must not trade the one GIN scan for a walk of the tenant's terminal receipts: given the
-- tenant, it preferred receipts_type (tenant_id, receipt_type, ...) on a 20,000-receipt ledger (its
-- guess for `&&` is a large share of the table). So the inner query names no tenant, which leaves
-- the GIN index as its only index, and OFFSET 0 keeps the tenant test outside (a parent id is a
-- receipt id of one tenant: another tenant's terminal receipts name none of p_ids). Sequential
-- scans and parallel workers (4-6 ms to set up for that guess) are off for this function only.
CREATE OR REPLACE FUNCTION asyncgate_discharged(p_tenant uuid, p_ids uuid[]) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0
AS $$
    SELECT DISTINCT p.id
    FROM (SELECT t.tenant_id, t.parents FROM public.receipts t
          WHERE public.asyncgate_parent_ids(t.parents) && p_ids
            AND t.receipt_type IN ('task.completed', 'task.failed', 'task.canceled')
          OFFSET 0) t
    CROSS JOIN LATERAL unnest(public.asyncgate_parent_ids(t.parents)) AS p(id)
    WHERE t.tenant_id = p_tenant AND p.id = ANY (p_ids)
$$;
