-- Reverts 0002_security.sql (the cluster-wide asyncgate_app role is left in place).
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tasks', 'leases', 'receipts', 'open_obligations', 'relationships'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END $$;
DROP TABLE IF EXISTS api_keys;
DROP FUNCTION IF EXISTS asyncgate_all_tenants();
DROP FUNCTION IF EXISTS asyncgate_current_tenant();
