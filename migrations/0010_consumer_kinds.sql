-- Every kind of consumer the poller tells apart: push, pull (the application sets offsets),
-- simple (5.x SimpleConsumer through the proxy: receive and ack) and pop, each clustering or
-- broadcasting, orderly or not. And what the offsets themselves can say: messages that
-- expired before the group read them, a committed offset beyond the newest message, and
-- where a group that never committed on a queue will start.
ALTER TABLE group_state
    ADD COLUMN kind text NOT NULL DEFAULT '' CHECK (kind IN ('', 'push', 'pull', 'simple', 'pop')),
    -- true when no client online said the kind: remembered from earlier, or inferred
    ADD COLUMN kind_inferred boolean NOT NULL DEFAULT false,
    ADD COLUMN orderly boolean,                         -- NULL when no client or config said
    ADD COLUMN expired bigint,                          -- messages deleted before the group read them
    ADD COLUMN past_end integer NOT NULL DEFAULT 0,     -- queues committed beyond their newest message
    ADD COLUMN never_committed integer NOT NULL DEFAULT 0, -- queues with messages and no commit
    ADD COLUMN redelivered bigint,                      -- simple/pop: messages that came back unacknowledged
    ADD COLUMN delivered_per_min bigint,                -- simple/pop: the broker's count for the last minute
    ADD COLUMN acked_per_min bigint,
    -- simple/pop: messages in flight (handed out, neither acknowledged nor back) are counted
    -- from the brokers' pop records read since inflight_since; the first becomes visible
    -- again at inflight_visible_at unless acknowledged
    ADD COLUMN inflight_since timestamptz,
    ADD COLUMN inflight_visible_at timestamptz,
    -- where a broadcasting group's lag comes from: its clients' own reports (''), or, when
    -- they cannot report, the lowest offset of its clients as a 5.x broker records it
    ADD COLUMN lag_source text NOT NULL DEFAULT '' CHECK (lag_source IN ('', 'broker-broadcast'));

ALTER TABLE queue_state
    ADD COLUMN committed boolean NOT NULL DEFAULT true, -- false: the group never committed here
    ADD COLUMN start_offset bigint,                     -- never committed: where its first client starts
    ADD COLUMN start_rule text,                         -- and why, for people
    ADD COLUMN locked boolean,                          -- orderly: the owner holds the queue's lock
    ADD COLUMN moved_at timestamptz,                    -- when the committed offset last changed
    ADD COLUMN inflight bigint,                         -- simple/pop: handed out, not acknowledged
    ADD COLUMN inflight_visible_at timestamptz;         -- when the first of them comes back

CREATE INDEX group_state_kind ON group_state (cluster_id, kind);
