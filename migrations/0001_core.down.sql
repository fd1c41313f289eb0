-- Reverts 0001_core.sql.
DROP TABLE IF EXISTS relationships;
DROP TRIGGER IF EXISTS receipts_immutable ON receipts;
DROP TRIGGER IF EXISTS receipts_track_obligations ON receipts;
DROP FUNCTION IF EXISTS receipts_immutable();
DROP FUNCTION IF EXISTS receipts_track_obligations();
DROP TABLE IF EXISTS open_obligations;
DROP TABLE IF EXISTS receipts;
DROP TABLE IF EXISTS leases;
DROP TABLE IF EXISTS tasks;
