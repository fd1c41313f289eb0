-- API keys and row-level security (SPEC §6).

CREATE TABLE api_keys (
    tenant_id      uuid        NOT NULL,
    -- public half of the key (`ag_<key_id>_<secret>`), used for the O(1) lookup
    key_id         text        NOT NULL,
    -- sha256(full key), hex. A fast hash is right here: keys carry >= 190 bits of CSPRNG entropy,
    -- so there is nothing for a slow (password) hash to protect against, and auth stays O(1).
    key_hash       text        NOT NULL,
    principal_kind text        NOT NULL,
    principal_id   text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('agent', 'worker', 'admin')),
    scopes         text[]      NOT NULL DEFAULT '{}',
    name           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz,
    revoked_at     timestamptz,
    last_used_at   timestamptz,
    -- rotation: the key this one replaced (which stays valid until its expires_at overlap ends)
    rotated_from   text,
    PRIMARY KEY (tenant_id, key_id)
);
-- Authentication happens before the tenant is known: key ids are unique across tenants.
CREATE UNIQUE INDEX api_keys_key_id ON api_keys (key_id);

-- Row-level security as defence in depth: every tenant table only shows rows of the tenant named
-- by the session setting app.tenant_id ('*' = all tenants, used by the lease sweep and by key
-- lookup). Unset means no rows at all (fail closed). FORCE applies it to the table owner too;
-- superusers bypass RLS, so the server switches to the unprivileged role asyncgate_app.
CREATE FUNCTION asyncgate_current_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT nullif(nullif(current_setting('app.tenant_id', true), ''), '*')::uuid
$$;
CREATE FUNCTION asyncgate_all_tenants() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.tenant_id', true), '') = '*'
$$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tasks', 'leases', 'receipts', 'open_obligations', 'relationships', 'api_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (asyncgate_all_tenants() OR tenant_id = asyncgate_current_tenant()) WITH CHECK (asyncgate_all_tenants() OR tenant_id = asyncgate_current_tenant())', t);
    END LOOP;
END $$;

-- The unprivileged application role. Roles are cluster-wide: several databases (or concurrent
-- migrators) may race to create it, and a managed database may not allow it at all.
DO $$
BEGIN
    BEGIN
        CREATE ROLE asyncgate_app NOLOGIN NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    -- (superusers are members of every role already; concurrent GRANTs on one role can conflict)
    IF NOT pg_has_role(current_user, 'asyncgate_app', 'MEMBER') THEN
        EXECUTE format('GRANT asyncgate_app TO %I', current_user);
    END IF;
    EXECUTE 'GRANT USAGE ON SCHEMA public TO asyncgate_app';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO asyncgate_app';
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO asyncgate_app';
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'asyncgate_app role not available: RLS still applies to the (non-superuser) table owner via FORCE';
END $$;
