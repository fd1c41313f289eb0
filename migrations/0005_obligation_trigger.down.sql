-- Reverts 0005_obligation_trigger.sql to the 0004 version of the trigger function.
CREATE OR REPLACE FUNCTION receipts_track_obligations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.receipt_type = 'task.assigned' THEN
        INSERT INTO open_obligations (tenant_id, receipt_id, to_kind, to_id, created_at)
        VALUES (NEW.tenant_id, NEW.receipt_id, NEW.to_kind, NEW.to_id, NEW.created_at)
        ON CONFLICT DO NOTHING;
    ELSIF NEW.receipt_type IN ('task.completed', 'task.failed', 'task.canceled')
          AND jsonb_array_length(NEW.parents) > 0 THEN
        DELETE FROM open_obligations o
        WHERE o.tenant_id = NEW.tenant_id
          AND o.receipt_id = ANY (ARRAY(SELECT jsonb_array_elements_text(NEW.parents))::uuid[]);
    END IF;
    RETURN NULL;
END $$;
