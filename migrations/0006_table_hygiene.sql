-- Autovacuum for a queue that churns, from a measurement (scripts/bench hygiene: 60 s of the
-- cycle benchmark, 32 workers). With PostgreSQL's defaults (vacuum at 20 % dead rows, checked once
-- a minute) no vacuum ran during the minute: tasks ended 67 % dead, leases 50 %, open_obligations
-- 99.7 %, and PostgreSQL's CPU per job grew from 2.0 to 6.3 ms as every claim and lease check
-- stepped over the dead index entries at the head of the queue. Vacuuming these tables after a
-- fixed number of dead rows (not a fraction of an ever-growing table), with the embedded cluster
-- checking every 10 s (autovacuum_naptime, set by EmbeddedPostgres), kept them at 0–14 % dead and
-- the cost per job flat.
--
-- fillfactor stays at 100: every update of tasks and leases changes an indexed column (status,
-- released_at in partial-index predicates), so HOT updates cannot happen and free space left on
-- the page would only be wasted.
ALTER TABLE tasks SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                       autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
ALTER TABLE leases SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                        autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
-- Nearly every row is deleted soon after it is inserted: vacuum by count, however small the table.
ALTER TABLE open_obligations SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                                  autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000);
-- Append-only: keep statistics fresh for the planner as the ledger grows.
ALTER TABLE receipts SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);
