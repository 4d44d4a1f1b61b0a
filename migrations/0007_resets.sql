-- Offset reset requests: request -> frozen preview -> approvals -> execution -> verification.
--
-- A request is one consumer group on one topic (the group's retry topic is a topic of its
-- own). Its preview is computed once, when it is requested, and never changes: approvers
-- approve exactly what they saw, and execution refuses when the group moved too far from
-- it. Every change of state is written together with its audit entry (internal/reset).
--
-- States:
--   pending      waiting for approvals
--   approved     enough approvals; may be executed until it expires
--   executing    one execution has begun (the transition that gives it is taken once)
--   executed     every queue was set; verification follows
--   partial      some queues were set and some failed
--   failed       no queue was set
--   verified     every set queue was seen at its target (or past it through consumption)
--   not_honoured some set queues went back to where they were (clients overwrote the reset)
--   rejected, cancelled, expired, refused (execution refused: the group drifted from the
--   preview or its queues changed; a fresh request is needed)
--   interrupted  the execution began but its outcome was never recorded (the process
--                stopped, or the database was unreachable); the offsets must be checked
CREATE TABLE reset_request (
    id                 uuid PRIMARY KEY,
    cluster            text NOT NULL,
    group_name         text NOT NULL,
    topic              text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('earliest', 'latest', 'timestamp', 'exact', 'shift')),
    -- What the requester asked for: the timestamp, the shift, the exact offsets, the queues.
    params             jsonb NOT NULL,
    -- The queues chosen ("broker/queueId"); empty means every queue of the topic.
    queues             text[] NOT NULL DEFAULT '{}',
    reason             text NOT NULL CHECK (reason <> ''),
    ticket             text NOT NULL DEFAULT '',
    -- The frozen preview: per queue current, min, max and target; totals; warnings.
    preview            jsonb NOT NULL,
    required_approvals int NOT NULL CHECK (required_approvals >= 1),
    state              text NOT NULL CHECK (state IN ('pending', 'approved', 'executing', 'executed',
                           'partial', 'failed', 'verified', 'not_honoured', 'rejected', 'cancelled',
                           'expired', 'refused', 'interrupted')),
    requested_by       text NOT NULL,
    requested_by_name  text NOT NULL DEFAULT '',
    requested_at       timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    -- Filled in as the request moves on.
    executed_by        text NOT NULL DEFAULT '',
    executed_by_name   text NOT NULL DEFAULT '',
    executed_at        timestamptz,
    outcome            jsonb,
    verified_at        timestamptz,
    verification       jsonb,
    closed_by          text NOT NULL DEFAULT '',
    closed_by_name     text NOT NULL DEFAULT '',
    closed_at          timestamptz,
    close_comment      text NOT NULL DEFAULT '',
    updated_at         timestamptz NOT NULL
);

-- One open request per (cluster, group, topic): a second one is refused while the first
-- is pending, approved, executing or executed and still being verified (a second reset
-- would change what the first one's verification sees).
CREATE UNIQUE INDEX reset_request_one_open ON reset_request (cluster, group_name, topic)
    WHERE state IN ('pending', 'approved', 'executing')
       OR (state IN ('executed', 'partial') AND verified_at IS NULL);
CREATE INDEX reset_request_state ON reset_request (state, requested_at DESC);
CREATE INDEX reset_request_group ON reset_request (cluster, group_name, requested_at DESC);

-- Each approver's decision, once per person per request.
CREATE TABLE reset_decision (
    request_id    uuid NOT NULL REFERENCES reset_request (id),
    actor         text NOT NULL,
    actor_name    text NOT NULL DEFAULT '',
    decision      text NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comment       text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL,
    PRIMARY KEY (request_id, actor)
);

-- A request's timeline is read from the audit trail, where every reset entry names its
-- request in parameters.reset_id.
CREATE INDEX audit_entry_reset ON audit_entry (((parameters::jsonb) ->> 'reset_id'), seq)
    WHERE action LIKE 'reset.%';
