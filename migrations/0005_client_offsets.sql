-- Broadcasting groups keep their offsets in each client, not on the brokers. The poller asks
-- every client for them (GET_CONSUMER_RUNNING_INFO, through the broker) and keeps the latest
-- per client and queue, or why a client could not say.
ALTER TABLE client_state ADD COLUMN offsets_error text;

CREATE TABLE client_queue_state (
    cluster_id    bigint NOT NULL,
    group_name    text NOT NULL,
    client_id     text NOT NULL,
    topic         text NOT NULL,
    broker_name   text NOT NULL,
    queue_id      integer NOT NULL,
    commit_offset bigint NOT NULL,
    max_offset    bigint,
    PRIMARY KEY (cluster_id, group_name, client_id, topic, broker_name, queue_id),
    FOREIGN KEY (cluster_id, group_name) REFERENCES group_state (cluster_id, group_name) ON DELETE CASCADE
);
