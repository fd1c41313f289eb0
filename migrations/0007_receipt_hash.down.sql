-- Reverts 0007_receipt_hash.sql.
DROP FUNCTION IF EXISTS asyncgate_receipt_hash(text, uuid, text, text, text, text, uuid, text, text);
