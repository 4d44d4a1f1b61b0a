-- Consumer progress: the latest state pages read, and history kept cheaply.
--
-- Sizing: 8,000 queues polled every 10 s would be about 70 million rows a day if every poll
-- were stored. History rows therefore carry a small series id instead of names, a queue
-- whose offsets did not move is not written again (a flat stretch keeps its first and last
-- point, all that interpolation needs), and tables are partitioned by time so retention
-- drops whole partitions.

-- One row per broker of a cluster: what the last poll found, and when it last failed.
CREATE TABLE broker_state (
    cluster_id  bigint NOT NULL REFERENCES cluster (id) ON DELETE CASCADE,
    broker_name text NOT NULL,
    addr        text NOT NULL,
    version     text NOT NULL DEFAULT '',
    ok_at       timestamptz,
    error       text,
    error_at    timestamptz,
    PRIMARY KEY (cluster_id, broker_name)
);

-- One row per consumer group: what the groups page lists.
CREATE TABLE group_state (
    cluster_id      bigint NOT NULL REFERENCES cluster (id) ON DELETE CASCADE,
    group_name      text NOT NULL,
    message_model   text NOT NULL DEFAULT '',   -- CLUSTERING, BROADCASTING, or '' when unknown
    consume_type    text NOT NULL DEFAULT '',   -- CONSUME_PASSIVELY (push), CONSUME_ACTIVELY (pull), CONSUME_POP
    clients         integer,                    -- NULL when unknown
    topics          text[] NOT NULL DEFAULT '{}',
    lag             bigint,                     -- NULL when unknown; retry topic included
    retry_lag       bigint,
    inflight        bigint,                     -- 5.x pullOffset - consumerOffset
    lag_seconds     double precision,           -- age of the oldest unconsumed message; NULL = unknown
    lag_time_source text NOT NULL DEFAULT 'unknown' CHECK (lag_time_source IN ('exact', 'interpolated', 'unknown')),
    consume_tps     double precision,
    health          text NOT NULL DEFAULT 'UNKNOWN',
    health_reason   text NOT NULL DEFAULT '',
    last_commit_at  timestamptz,                -- when a committed offset last moved
    polled_at       timestamptz NOT NULL,       -- last poll that read this group successfully
    stale_since     timestamptz,                -- set while the group's brokers fail
    stale_reason    text,
    PRIMARY KEY (cluster_id, group_name)
);

-- One row per (group, topic, queue): the group detail page.
CREATE TABLE queue_state (
    cluster_id      bigint NOT NULL,
    group_name      text NOT NULL,
    topic           text NOT NULL,
    broker_name     text NOT NULL,
    queue_id        integer NOT NULL,
    min_offset      bigint,
    max_offset      bigint NOT NULL,
    consumer_offset bigint NOT NULL,
    pull_offset     bigint,
    last_timestamp  timestamptz,                -- store time of the last consumed message
    lag_seconds     double precision,
    owner_client    text,
    polled_at       timestamptz NOT NULL,
    stale           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (cluster_id, group_name, topic, broker_name, queue_id),
    FOREIGN KEY (cluster_id, group_name) REFERENCES group_state (cluster_id, group_name) ON DELETE CASCADE
);

-- Clients of a group as seen in its last poll.
CREATE TABLE client_state (
    cluster_id  bigint NOT NULL,
    group_name  text NOT NULL,
    client_id   text NOT NULL,
    client_addr text NOT NULL DEFAULT '',
    language    text NOT NULL DEFAULT '',
    version     text NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, group_name, client_id),
    FOREIGN KEY (cluster_id, group_name) REFERENCES group_state (cluster_id, group_name) ON DELETE CASCADE
);

-- Series ids: history rows refer to these instead of repeating names.
CREATE TABLE queue_series (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_id  bigint NOT NULL REFERENCES cluster (id) ON DELETE CASCADE,
    group_name  text NOT NULL,
    topic       text NOT NULL,
    broker_name text NOT NULL,
    queue_id    integer NOT NULL,
    UNIQUE (cluster_id, group_name, topic, broker_name, queue_id)
);

CREATE TABLE topic_series (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_id bigint NOT NULL REFERENCES cluster (id) ON DELETE CASCADE,
    group_name text NOT NULL,
    topic      text NOT NULL,
    UNIQUE (cluster_id, group_name, topic)
);

-- Per-queue offsets, only when they changed; daily partitions, short retention.
CREATE TABLE queue_sample (
    series_id       integer NOT NULL,
    at              timestamptz NOT NULL,
    max_offset      bigint NOT NULL,
    consumer_offset bigint NOT NULL
) PARTITION BY RANGE (at);

-- Per group and topic, one point a minute (the last poll of the minute); monthly partitions.
CREATE TABLE topic_minute (
    series_id       integer NOT NULL,
    at              timestamptz NOT NULL,
    max_offset      bigint NOT NULL,           -- sums over the topic's queues
    consumer_offset bigint NOT NULL,
    lag             bigint NOT NULL,
    lag_seconds     double precision,
    consume_tps     double precision
) PARTITION BY RANGE (at);

-- The same, one point an hour, kept longest; yearly partitions.
CREATE TABLE topic_hour (LIKE topic_minute) PARTITION BY RANGE (at);

-- Which partitions exist is managed by the application (storage.EnsurePartitions); indexes
-- declared here are created on every partition.
CREATE INDEX ON queue_sample (series_id, at);
CREATE INDEX ON topic_minute (series_id, at);
CREATE UNIQUE INDEX ON topic_hour (series_id, at);  -- rollups are idempotent
CREATE INDEX ON group_state (health);
