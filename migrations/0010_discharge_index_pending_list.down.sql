-- Reverts 0010_discharge_index_pending_list.sql: GIN's default pending list again.
ALTER INDEX receipts_parents RESET (fastupdate);
