-- Reverts 0004_query_plans.sql.
DROP FUNCTION IF EXISTS asyncgate_discharged(uuid, uuid[]);
DROP INDEX IF EXISTS tasks_leasable_by_type;
CREATE OR REPLACE FUNCTION receipts_track_obligations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.receipt_type = 'task.assigned' THEN
        INSERT INTO open_obligations (tenant_id, receipt_id, to_kind, to_id, created_at)
        VALUES (NEW.tenant_id, NEW.receipt_id, NEW.to_kind, NEW.to_id, NEW.created_at)
        ON CONFLICT DO NOTHING;
    ELSIF NEW.receipt_type IN ('task.completed', 'task.failed', 'task.canceled')
          AND jsonb_array_length(NEW.parents) > 0 THEN
        DELETE FROM open_obligations o
        USING jsonb_array_elements_text(NEW.parents) AS p(id)
        WHERE o.tenant_id = NEW.tenant_id AND o.receipt_id = p.id::uuid;
    END IF;
    RETURN NULL;
END $$;
