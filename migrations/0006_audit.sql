-- The audit trail: who did what, when, from where, why, and what happened.
--
-- Rows are only ever inserted. Each row carries the SHA-256 of its canonical form
-- (internal/audit/canonical.go, docs/AUDIT.md) and the hash of the row before it, so
-- `web verify` finds a row that was changed, removed or reordered even by someone who
-- could bypass the triggers below. seq has no gaps: the writer takes an advisory lock,
-- reads the head and inserts head+1 inside the caller's transaction.
--
-- JSON values (parameters, before, after) are kept as text holding the exact canonical
-- bytes that were hashed; jsonb would reorder and renumber them. Cast to jsonb to query.
--
-- In production the application's role should have only SELECT and INSERT on this table
-- (no UPDATE, DELETE or TRUNCATE); the triggers are a second line, not the only one.
CREATE TABLE audit_entry (
    seq           bigint PRIMARY KEY CHECK (seq > 0),
    id            uuid NOT NULL UNIQUE,
    at            timestamptz NOT NULL,
    actor_subject text NOT NULL,
    actor_issuer  text NOT NULL DEFAULT '',
    actor_email   text NOT NULL DEFAULT '',
    actor_name    text NOT NULL DEFAULT '',
    actor_groups  text[] NOT NULL DEFAULT '{}',
    session_hash  text NOT NULL DEFAULT '',
    source_ip     text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT '',
    action        text NOT NULL CHECK (action ~ '^[a-z][a-z_.]*$'),
    cluster       text NOT NULL DEFAULT '',
    group_name    text NOT NULL DEFAULT '',
    topic         text NOT NULL DEFAULT '',
    queues        text[] NOT NULL DEFAULT '{}',
    request_id    text NOT NULL DEFAULT '',
    reason        text NOT NULL DEFAULT '',
    parameters    text CHECK (parameters IS NULL OR parameters::jsonb IS NOT NULL),
    before        text CHECK (before IS NULL OR before::jsonb IS NOT NULL),
    after         text CHECK (after IS NULL OR after::jsonb IS NOT NULL),
    outcome       text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    error         text NOT NULL DEFAULT '',
    prev_hash     text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash          text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);

-- Reports and timelines filter by time, actor and resource.
CREATE INDEX audit_entry_at ON audit_entry (at);
CREATE INDEX audit_entry_actor ON audit_entry (actor_subject, at);
CREATE INDEX audit_entry_target ON audit_entry (cluster, group_name, at) WHERE cluster <> '';

-- Append-only: refuse every UPDATE, DELETE and TRUNCATE, whoever asks.
CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit entries are never changed or removed; see docs/AUDIT.md.';
END
$$;

CREATE TRIGGER audit_entry_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();

CREATE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change();
