-- A queue's latest state is rewritten only when something about it changed: at 8,000
-- queues, rewriting every row each cycle was most of a cycle's time in Postgres. Two
-- columns changed every cycle whatever the queue did, so they go:
--
-- - lag_seconds grew with the clock while nothing moved. lag_since keeps the instant the
--   lag counts from instead (the store time of the oldest message the group has not
--   consumed, as far as it is known), 'infinity' when nothing waits, NULL when unknown; the
--   lag in time is the group's polled_at minus lag_since.
-- - polled_at was always the group's: a group's queues are written with the group, from
--   the same poll, or not at all.
ALTER TABLE queue_state ADD COLUMN lag_since timestamptz;

UPDATE queue_state SET lag_since = CASE
    WHEN lag_seconds = 0 THEN 'infinity'
    WHEN lag_seconds IS NOT NULL THEN polled_at - lag_seconds * interval '1 second'
END;

ALTER TABLE queue_state DROP COLUMN lag_seconds, DROP COLUMN polled_at;

-- Room on each page for the changed version of a row, so an update need not touch the
-- primary key's index (a heap-only update).
ALTER TABLE queue_state SET (fillfactor = 70);
ALTER TABLE topic_drain SET (fillfactor = 70);
