-- AsyncGate core schema. Every table leads its primary key and indexes with tenant_id so a tenant's
-- rows cluster together and every query is tenant-scoped by construction.

CREATE TABLE tasks (
    tenant_id              uuid        NOT NULL,
    task_id                uuid        NOT NULL,
    type                   text        NOT NULL,
    payload                jsonb       NOT NULL DEFAULT '{}',
    payload_pointer        text,
    created_by_kind        text        NOT NULL,
    created_by_id          text        NOT NULL,
    principal_ai           text,
    requirements           jsonb       NOT NULL DEFAULT '{}',
    -- requirements.capabilities, denormalised so the claim can test "required ⊆ offered" with <@
    -- inside the index-ordered scan instead of unpacking JSON per row.
    required_capabilities  text[]      NOT NULL DEFAULT '{}',
    expected_outcome_kind  text,
    expected_artifact_mime text,
    priority               integer     NOT NULL DEFAULT 0,
    status                 text        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'leased', 'running', 'succeeded', 'failed', 'canceled')),
    attempt                integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts           integer     NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    retry_backoff_seconds  integer     NOT NULL DEFAULT 30 CHECK (retry_backoff_seconds >= 1),
    -- how many times the sweep has requeued this task after a lease expired (anomaly when > 3)
    expiry_requeues        integer     NOT NULL DEFAULT 0,
    idempotency_key        text,
    next_eligible_at       timestamptz NOT NULL DEFAULT now(),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    started_at             timestamptz,
    -- the task.assigned receipt: terminal receipts name it as their parent
    assigned_receipt_id    uuid        NOT NULL,
    outcome                text,
    result                 jsonb,
    error                  jsonb,
    artifacts              jsonb,
    completed_at           timestamptz,
    progress               jsonb,
    PRIMARY KEY (tenant_id, task_id)
);

-- Idempotent create: the same key within a tenant is one task, also under concurrent retries.
CREATE UNIQUE INDEX tasks_idempotency_key ON tasks (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The claim scans only leasable rows, already in claim order (priority desc, then FIFO).
CREATE INDEX tasks_leasable ON tasks (tenant_id, priority DESC, created_at, task_id)
    WHERE status = 'queued';

-- Listing is newest-first with a (created_at, task_id) keyset cursor.
CREATE INDEX tasks_listing ON tasks (tenant_id, created_at DESC, task_id DESC);
CREATE INDEX tasks_by_status ON tasks (tenant_id, status, created_at DESC, task_id DESC);

CREATE TABLE leases (
    tenant_id          uuid        NOT NULL,
    lease_id           uuid        NOT NULL,
    task_id            uuid        NOT NULL,
    worker_id          text        NOT NULL,
    worker_instance_id text,
    acquired_at        timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    renewal_count      integer     NOT NULL DEFAULT 0,
    -- Released leases are kept (not deleted) so a retried complete/fail from the same lease can be
    -- recognised and answered idempotently instead of as an error.
    released_at        timestamptz,
    release_reason     text CHECK (release_reason IN ('completed', 'failed', 'requeued', 'canceled', 'expired')),
    PRIMARY KEY (tenant_id, lease_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, task_id) ON DELETE CASCADE
);
-- At most one active lease per task: a second claim of the same task cannot commit.
CREATE UNIQUE INDEX leases_one_active_per_task ON leases (tenant_id, task_id) WHERE released_at IS NULL;
CREATE INDEX leases_by_task ON leases (tenant_id, task_id);
-- The sweep looks for expired active leases across all tenants.
CREATE INDEX leases_expiry ON leases (expires_at) WHERE released_at IS NULL;

CREATE TABLE receipts (
    tenant_id          uuid        NOT NULL,
    receipt_id         uuid        NOT NULL,
    receipt_type       text        NOT NULL,
    from_kind          text        NOT NULL,
    from_id            text        NOT NULL,
    to_kind            text        NOT NULL,
    to_id              text        NOT NULL,
    task_id            uuid,
    lease_id           uuid,
    schedule_id        text,
    parents            jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(parents) = 'array'),
    body               jsonb       NOT NULL DEFAULT '{}',
    hash               text        NOT NULL,
    -- clock_timestamp, not now(): receipts written by one transaction keep their emission order
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at       timestamptz,
    asyncgate_instance text,
    PRIMARY KEY (tenant_id, receipt_id)
);
-- Emitting the same logical receipt twice returns the original (hash dedupe).
CREATE UNIQUE INDEX receipts_hash ON receipts (tenant_id, hash);
-- Termination check: "is there a terminator whose parents contain X" is a GIN containment probe.
CREATE INDEX receipts_parents ON receipts USING gin (parents jsonb_path_ops);
-- Inbox listing for a principal, oldest first, keyset on (created_at, receipt_id).
CREATE INDEX receipts_to ON receipts (tenant_id, to_kind, to_id, created_at, receipt_id);
CREATE INDEX receipts_task ON receipts (tenant_id, task_id, created_at, receipt_id);
CREATE INDEX receipts_type ON receipts (tenant_id, receipt_type, created_at, receipt_id);

-- Open obligations, maintained by trigger from the immutable receipt ledger so the bootstrap query
-- is O(limit) however large the ledger grows. The ledger stays the evidence: the query still
-- verifies each candidate against receipts (GIN) before returning it.
CREATE TABLE open_obligations (
    tenant_id  uuid        NOT NULL,
    receipt_id uuid        NOT NULL,
    to_kind    text        NOT NULL,
    to_id      text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, receipt_id)
);
CREATE INDEX open_obligations_to ON open_obligations (tenant_id, to_kind, to_id, created_at, receipt_id);

-- The termination table lives here as well as in Domain.TerminationRules: obligation types open a
-- row, terminator types close the rows named in their parents. Kept tiny and set-based.
CREATE FUNCTION receipts_track_obligations() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER receipts_track_obligations AFTER INSERT ON receipts
    FOR EACH ROW EXECUTE FUNCTION receipts_track_obligations();

-- Receipts are append-only: delivery metadata (delivered_at) is the only column that may change.
CREATE FUNCTION receipts_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.tenant_id, NEW.receipt_id, NEW.receipt_type, NEW.from_kind, NEW.from_id, NEW.to_kind,
        NEW.to_id, NEW.task_id, NEW.lease_id, NEW.schedule_id, NEW.parents, NEW.body, NEW.hash,
        NEW.created_at, NEW.asyncgate_instance)
       IS DISTINCT FROM
       (OLD.tenant_id, OLD.receipt_id, OLD.receipt_type, OLD.from_kind, OLD.from_id, OLD.to_kind,
        OLD.to_id, OLD.task_id, OLD.lease_id, OLD.schedule_id, OLD.parents, OLD.body, OLD.hash,
        OLD.created_at, OLD.asyncgate_instance) THEN
        RAISE EXCEPTION 'receipts are immutable' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER receipts_immutable BEFORE UPDATE ON receipts
    FOR EACH ROW EXECUTE FUNCTION receipts_immutable();

CREATE TABLE relationships (
    tenant_id             uuid        NOT NULL,
    principal_kind        text        NOT NULL,
    principal_id          text        NOT NULL,
    principal_instance_id text        NOT NULL DEFAULT '',
    first_seen_at         timestamptz NOT NULL DEFAULT now(),
    last_seen_at          timestamptz NOT NULL DEFAULT now(),
    sessions_count        integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, principal_kind, principal_id, principal_instance_id)
);
