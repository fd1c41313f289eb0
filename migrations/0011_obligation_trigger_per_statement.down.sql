-- Reverts 0011_obligation_trigger_per_statement.sql: the row-level trigger of 0008 again.
DROP TRIGGER receipts_track_obligations ON receipts;
CREATE TRIGGER receipts_track_obligations AFTER INSERT ON receipts
    FOR EACH ROW
    WHEN (NEW.receipt_type IN ('task.assigned', 'task.completed', 'task.failed', 'task.canceled'))
    EXECUTE FUNCTION receipts_track_obligations();
DROP FUNCTION receipts_track_obligations_per_statement();
