-- On-call alerting and time to drain (docs/ALERTS.md).
--
-- Notifications are decided inside the poller's cycle transaction: the alert state of each
-- (rule, group) and the outbox rows it causes commit with the group state that caused them,
-- or not at all. A sender (one per deployment, under an advisory lock) delivers the outbox
-- with retries; a notification carries an idempotency key so receivers can drop repeats.

-- Time to drain, per group (worst of its topics) and per group and topic, estimated from how
-- the lag moved over a recent window. state: caught_up (nothing waits), draining (the backlog
-- shrinks: drain_seconds is the estimate), growing or flat (it will not drain at these
-- rates), unknown (drain_reason says why).
ALTER TABLE group_state
    ADD COLUMN drain_state text NOT NULL DEFAULT 'unknown'
        CHECK (drain_state IN ('caught_up', 'draining', 'growing', 'flat', 'unknown')),
    ADD COLUMN drain_seconds double precision,
    ADD COLUMN lag_rate double precision,          -- messages/s the lag changes by; < 0 shrinking
    ADD COLUMN drain_reason text NOT NULL DEFAULT 'not estimated yet';

CREATE TABLE topic_drain (
    cluster_id    bigint NOT NULL,
    group_name    text NOT NULL,
    topic         text NOT NULL,
    state         text NOT NULL CHECK (state IN ('caught_up', 'draining', 'growing', 'flat', 'unknown')),
    drain_seconds double precision,
    lag           bigint,
    lag_rate      double precision,
    produce_rate  double precision,                -- messages/s written to the topic
    consume_rate  double precision,                -- messages/s the group's position advanced
    reason        text NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, group_name, topic),
    FOREIGN KEY (cluster_id, group_name) REFERENCES group_state (cluster_id, group_name) ON DELETE CASCADE
);

-- The groups page sorts by time to drain: groups that will not drain first when descending.
CREATE INDEX group_state_drain ON group_state (drain_seconds DESC NULLS LAST);

-- Alert rules: which groups (glob patterns, as in policy grants), which transitions, and one
-- receiver. A rule fires for a group when any of its triggers holds, for at least hold_seconds.
CREATE TABLE alert_rule (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL UNIQUE CHECK (name <> ''),
    enabled              boolean NOT NULL DEFAULT true,
    clusters             text[] NOT NULL CHECK (cardinality(clusters) > 0),
    consumer_groups      text[] NOT NULL CHECK (cardinality(consumer_groups) > 0),
    statuses             text[] NOT NULL DEFAULT '{}'
        CHECK (statuses <@ ARRAY['WARN', 'STALL', 'STOP', 'REWIND', 'OFFLINE', 'UNKNOWN']),
    expired              boolean NOT NULL DEFAULT false,   -- messages deleted before the group read them
    lag_messages         bigint CHECK (lag_messages > 0),  -- lag at or above
    lag_seconds          double precision CHECK (lag_seconds > 0), -- lag in time at or above
    drain_within_seconds double precision CHECK (drain_within_seconds > 0), -- will not drain within
    hold_seconds         integer NOT NULL DEFAULT 0 CHECK (hold_seconds >= 0),
    repeat_seconds       integer CHECK (repeat_seconds >= 60), -- NULL: the server's default
    receiver_kind        text NOT NULL CHECK (receiver_kind IN ('webhook', 'slack', 'alertmanager')),
    receiver_url         text NOT NULL CHECK (receiver_url ~ '^https?://'),
    receiver_secret      text NOT NULL DEFAULT '',         -- webhook: the HMAC-SHA256 key
    created_at           timestamptz NOT NULL DEFAULT now(),
    created_by           text NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    updated_by           text NOT NULL,
    CHECK (cardinality(statuses) > 0 OR expired OR lag_messages IS NOT NULL OR lag_seconds IS NOT NULL
        OR drain_within_seconds IS NOT NULL)
);

-- Silences: no notification for the groups they match until they end.
CREATE TABLE alert_silence (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_pattern text NOT NULL CHECK (cluster_pattern <> ''),
    group_pattern   text NOT NULL CHECK (group_pattern <> ''),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    reason          text NOT NULL CHECK (reason <> ''),
    created_by      text NOT NULL,
    ended_at        timestamptz,                   -- ended early, by ended_by
    ended_by        text,
    CHECK (ends_at > starts_at)
);
CREATE INDEX alert_silence_active ON alert_silence (ends_at) WHERE ended_at IS NULL;

-- One row per rule and group whose condition holds: pending while held (firing_since NULL),
-- then firing. The row goes when the condition ends; its resolution goes to the outbox in
-- the same transaction. No foreign key to group_state: a group that disappears still has to
-- resolve its alerts.
CREATE TABLE alert_state (
    rule_id       bigint NOT NULL REFERENCES alert_rule (id) ON DELETE CASCADE,
    cluster_id    bigint NOT NULL REFERENCES cluster (id) ON DELETE CASCADE,
    group_name    text NOT NULL,
    pending_since timestamptz NOT NULL,            -- when the condition was first seen
    firing_since  timestamptz,
    trigger       text NOT NULL,                   -- what holds: a status, expired, lag, lag_time, drain
    health        text NOT NULL,
    summary       text NOT NULL DEFAULT '',
    notified_at   timestamptz,                     -- last firing notification queued
    acked_at      timestamptz,
    acked_by      text,
    PRIMARY KEY (rule_id, cluster_id, group_name)
);

-- The outbox. Rows are written in the transaction that decides them and never change what
-- they say; the sender only records its attempts. The receiver is copied in (and follows
-- edits of the rule while undelivered), so a rule deleted with alerts firing still resolves
-- them.
CREATE TABLE alert_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key uuid NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL,
    rule_id         bigint REFERENCES alert_rule (id) ON DELETE SET NULL,
    rule_name       text NOT NULL,
    cluster         text NOT NULL,
    group_name      text NOT NULL,
    alert_key       text NOT NULL,                 -- rule, cluster and group: an alert's rows go in order
    kind            text NOT NULL CHECK (kind IN ('firing', 'repeat', 'resolved')),
    receiver_kind   text NOT NULL CHECK (receiver_kind IN ('webhook', 'slack', 'alertmanager')),
    receiver_url    text NOT NULL,
    receiver_secret text NOT NULL DEFAULT '',
    payload         jsonb NOT NULL,                -- the notification; rendered per receiver when sent
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'given_up')),
    attempts        integer NOT NULL DEFAULT 0,
    next_at         timestamptz NOT NULL DEFAULT now(), -- due at once: the sender's clock decides
    last_attempt_at timestamptz,
    last_error      text,
    delivered_at    timestamptz,
    retried_at      timestamptz                    -- put back in the queue by hand after giving up
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_at) WHERE state = 'pending';
CREATE INDEX alert_outbox_alert ON alert_outbox (alert_key, id) WHERE state = 'pending';
CREATE INDEX alert_outbox_recent ON alert_outbox (created_at);
