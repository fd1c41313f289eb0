-- The discharge check's GIN index (receipts_parents) without a pending list.
--
-- With GIN's default fastupdate, new entries go to an unsorted pending list that EVERY search
-- scans in full until a vacuum (or 4 MB of backlog) merges it into the tree. The obligations page
-- probes this index once per candidate (200 per page), so its cost grew with the number of
-- terminal receipts written since the last vacuum: measured on a 1M-receipt ledger, 10 s of
-- create/claim/complete traffic (9,814 pending entries) took GET /v1/obligations/open?limit=200
-- from p50 2.8 ms to 66 ms (p99 104 ms) until autovacuum came by. Without the pending list each
-- terminal receipt is inserted into the tree directly (one entry: its single parent); the same
-- traffic then left the page at p50 3.4 ms, and the cycle's rate and PostgreSQL CPU per job did
-- not get worse (833 vs 829 jobs/s; 1.60 vs 1.67 ms).
ALTER INDEX receipts_parents SET (fastupdate = off);
-- Turning it off does not empty the list already there: merge it now.
SELECT gin_clean_pending_list('receipts_parents'::regclass);
