-- Dead letters: messages a group failed to consume more times than it may retry go to the
-- group's %DLQ%<group> topic. The poller records how many went there in all (the topic's
-- max offsets) and how many the brokers still keep (max - min), and a point each time the
-- total changes, to show their growth.
ALTER TABLE group_state
    ADD COLUMN dlq_total bigint,   -- NULL: the group has no dead-letter topic
    ADD COLUMN dlq_kept bigint;

CREATE TABLE dlq_sample (
    cluster_id bigint NOT NULL REFERENCES cluster (id) ON DELETE CASCADE,
    group_name text NOT NULL,
    at         timestamptz NOT NULL,
    total      bigint NOT NULL,
    kept       bigint NOT NULL,
    PRIMARY KEY (cluster_id, group_name, at)
);
