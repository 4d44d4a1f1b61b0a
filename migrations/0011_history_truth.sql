-- Hourly rollups say when their values were seen.
--
-- A topic_hour row summarises the hour [at, at + 1 hour) of one group and topic, but its
-- offsets are those of the hour's last minute point. Read as a point at `at`, such a row
-- put values seen at, say, 03:59 at 03:00, and a chart drew lag from the start of an hour in
-- which the group did not exist yet. The row now records the times of its first and last
-- observations, and the lag and lag in time at the last one, so history reads a rollup as
-- what was seen, when it was seen:
--
--   first_at, last_at      the first and last minute points rolled into the row
--   max_offset, consumer_offset, last_lag, last_lag_seconds
--                          as seen at last_at
--   lag, lag_seconds       the highest seen in the hour (between first_at and last_at)
--
-- Rows whose minute points still exist are filled in from them. For older rows, whose minute
-- points have expired, the times are not known: they are set to the end of their hour, the
-- latest moment their values can have been seen, with the lag at the end of the hour from
-- the row's offsets and the lag in time unknown.
ALTER TABLE topic_hour
    ADD COLUMN first_at timestamptz,
    ADD COLUMN last_at timestamptz,
    ADD COLUMN last_lag bigint,
    ADD COLUMN last_lag_seconds double precision;

UPDATE topic_hour h
SET first_at = m.first_at, last_at = m.last_at, last_lag = m.last_lag, last_lag_seconds = m.last_lag_seconds
FROM (
    SELECT series_id, date_trunc('hour', at, 'UTC') AS hour, min(at) AS first_at, max(at) AS last_at,
           (array_agg(lag ORDER BY at DESC))[1] AS last_lag,
           (array_agg(lag_seconds ORDER BY at DESC))[1] AS last_lag_seconds
    FROM topic_minute
    GROUP BY series_id, date_trunc('hour', at, 'UTC')
) m
WHERE h.series_id = m.series_id AND h.at = m.hour;

UPDATE topic_hour
SET first_at = at + interval '1 hour', last_at = at + interval '1 hour',
    last_lag = greatest(max_offset - consumer_offset, 0)
WHERE last_at IS NULL;

ALTER TABLE topic_hour
    ALTER COLUMN first_at SET NOT NULL,
    ALTER COLUMN last_at SET NOT NULL,
    ALTER COLUMN last_lag SET NOT NULL;
