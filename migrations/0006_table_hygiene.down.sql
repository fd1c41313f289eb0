-- Reverts 0006_table_hygiene.sql: back to the cluster's autovacuum settings.
ALTER TABLE tasks RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
                         autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
ALTER TABLE leases RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
                          autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
ALTER TABLE open_obligations RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
                                    autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
ALTER TABLE receipts RESET (autovacuum_analyze_scale_factor, autovacuum_vacuum_insert_scale_factor);
