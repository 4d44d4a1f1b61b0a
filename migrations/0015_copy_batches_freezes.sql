-- Resets: offsets copied from another group, several groups in one request, change freezes.
--
-- A reset of kind 'group' moves each queue to the offset another consumer group (its
-- source, params.source) has committed on the same topic; the targets are read when the
-- request is made and frozen into its preview like every other kind's.
ALTER TABLE reset_request DROP CONSTRAINT reset_request_kind_check;
ALTER TABLE reset_request ADD CONSTRAINT reset_request_kind_check
    CHECK (kind IN ('earliest', 'latest', 'timestamp', 'exact', 'shift', 'group'));
ALTER TABLE reset_request ADD CONSTRAINT reset_request_group_source
    CHECK (kind <> 'group' OR coalesce(params ->> 'source', '') <> '');

-- Several groups or topics in one request: each (group, topic) is a row of its own, with its
-- own frozen preview, outcome and verification. The rows of one request share batch_id (the
-- id of its first row, which names the request) and are numbered by batch_index from 0, of
-- batch_size. They are requested, approved, rejected, cancelled and expire together, and are
-- executed one after the other. Single requests, all rows made before, keep the three NULL.
ALTER TABLE reset_request
    ADD COLUMN batch_id uuid,
    ADD COLUMN batch_index int,
    ADD COLUMN batch_size int,
    ADD CONSTRAINT reset_request_batch CHECK (
        (batch_id IS NULL AND batch_index IS NULL AND batch_size IS NULL)
        OR (batch_id IS NOT NULL AND batch_size >= 2 AND batch_index >= 0 AND batch_index < batch_size));
CREATE UNIQUE INDEX reset_request_batch_item ON reset_request (batch_id, batch_index) WHERE batch_id IS NOT NULL;

-- Change-freeze windows (internal/freeze): while one covering a request's cluster and group
-- is in force, the request is not executed; requests and approvals go on. A window covers
-- the groups that one of its cluster patterns and one of its group patterns match (globs,
-- as in the access policy). It is in force once, [starts_at, ends_at), or weekly: on each
-- of days (0 Sunday to 6 Saturday) from from_minute to to_minute after midnight in
-- time_zone, ending on the next day when to_minute <= from_minute. Every change is audited
-- (freeze.created, freeze.updated, freeze.deleted, with the window before and after).
CREATE TABLE freeze_window (
    id              uuid PRIMARY KEY,
    name            text NOT NULL CHECK (name <> ''),
    reason          text NOT NULL DEFAULT '',
    clusters        text[] NOT NULL CHECK (cardinality(clusters) > 0),
    groups          text[] NOT NULL CHECK (cardinality(groups) > 0),
    kind            text NOT NULL CHECK (kind IN ('once', 'weekly')),
    starts_at       timestamptz,
    ends_at         timestamptz,
    days            int[] NOT NULL DEFAULT '{}',
    from_minute     int NOT NULL DEFAULT 0 CHECK (from_minute BETWEEN 0 AND 1439),
    to_minute       int NOT NULL DEFAULT 0 CHECK (to_minute BETWEEN 0 AND 1439),
    time_zone       text NOT NULL DEFAULT 'UTC',
    created_by      text NOT NULL,
    created_by_name text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_by      text NOT NULL,
    updated_by_name text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL,
    CHECK (kind <> 'once' OR (starts_at IS NOT NULL AND ends_at > starts_at)),
    CHECK (kind <> 'weekly' OR (cardinality(days) > 0 AND days <@ ARRAY[0, 1, 2, 3, 4, 5, 6]))
);

-- An emergency override lets a request be executed inside a freeze: whoever may execute it
-- states a reason, and the request then needs one approval more than it did
-- (required_approvals is raised by one, and an approved request waits again). The windows
-- in force when it was asked are named in override_windows.
ALTER TABLE reset_request
    ADD COLUMN override_reason  text NOT NULL DEFAULT '',
    ADD COLUMN override_by      text NOT NULL DEFAULT '',
    ADD COLUMN override_by_name text NOT NULL DEFAULT '',
    ADD COLUMN override_at      timestamptz,
    ADD COLUMN override_windows text NOT NULL DEFAULT '';
