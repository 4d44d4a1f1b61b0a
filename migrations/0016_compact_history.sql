-- History that fits: packed chunks instead of a row per point.
--
-- A row per queue per poll cost about 100 bytes with its index: with every one of 8,000
-- queues moving, 7 GB a day. Rows are now written as before, into queue_sample and
-- topic_minute (cut into hourly partitions from now on), and packed a little later by the
-- poller's compaction (storage.CompactHistory): one row per series and hour, whose `data`
-- holds the hour's points as varint differences (internal/storage/history_codec.go), about
-- 6 bytes a queue sample. A packed hour's partition of single rows is then dropped whole.
-- Hourly trends are packed the same way, a row per series and day. Times keep their
-- microseconds; lag in time is kept to the millisecond and consume rates to a thousandth
-- of a message per second.
--
--   queue_chunk   per queue, an hour of samples; daily partitions, kept as queue samples
--                 (48 h). lo and hi are the lowest and highest max offset in the chunk, so
--                 finding when a message was written reads one chunk.
--   topic_chunk   per group and topic, an hour of minute points; daily partitions, kept
--                 as minute points (30 days).
--   topic_day     per group and topic, a day of hourly rollups; monthly partitions, kept
--                 as hourly trends (400 days). Rollups are computed as each hour of minute
--                 points is packed, from that hour alone.
--
-- Readers take single rows and packed rows together, so nothing disappears while an hour is
-- being packed. The indexes are b-trees on (series, time): every read asks for one series,
-- which a BRIN index on time alone cannot answer.
--
-- What happens to existing history: nothing is dropped by this migration but empty
-- partitions made ahead for future days, months and years, so that the hourly ones can be
-- made instead. Existing queue_sample (daily) and topic_minute (monthly) partitions stay as
-- they are, are read as before, and are packed like any other once the period they cover is
-- over: within a day for queue samples, by the end of the month for minute points. topic_hour
-- is no longer written: its rows stay readable and are packed into topic_day by the same
-- compaction, hourly trends first written there winning where both exist (they are rolled up
-- from the same minute points), and its partitions are dropped once packed.

CREATE TABLE queue_chunk (
    series_id integer NOT NULL,
    hour      timestamptz NOT NULL,   -- the chunk holds samples taken in [hour, hour + 1 hour)
    n         integer NOT NULL,       -- samples in the chunk
    lo        bigint NOT NULL,        -- lowest and highest max offset among them
    hi        bigint NOT NULL,
    data      bytea NOT NULL
) PARTITION BY RANGE (hour);
ALTER TABLE queue_chunk ALTER COLUMN data SET STORAGE MAIN;
CREATE UNIQUE INDEX ON queue_chunk (series_id, hour) INCLUDE (lo, hi);

CREATE TABLE topic_chunk (
    series_id integer NOT NULL,
    hour      timestamptz NOT NULL,
    n         integer NOT NULL,
    data      bytea NOT NULL
) PARTITION BY RANGE (hour);
ALTER TABLE topic_chunk ALTER COLUMN data SET STORAGE MAIN;
CREATE UNIQUE INDEX ON topic_chunk (series_id, hour);

CREATE TABLE topic_day (
    series_id integer NOT NULL,
    day       timestamptz NOT NULL,   -- UTC midnight; the row holds the day's hourly rollups
    n         integer NOT NULL,
    data      bytea NOT NULL
) PARTITION BY RANGE (day);
ALTER TABLE topic_day ALTER COLUMN data SET STORAGE MAIN;
CREATE UNIQUE INDEX ON topic_day (series_id, day);

-- How far compaction has packed each partition of single rows: series below next_series
-- are packed. A row goes when its partition is dropped.
CREATE TABLE history_compaction (
    partition   text PRIMARY KEY,
    next_series integer NOT NULL
);

-- Partitions made ahead (tomorrow's queue samples, next month's minute points, next year's
-- hourly rollups) are empty; they would keep the old cut for their whole period.
DO $$
DECLARE
    r record;
    empty boolean;
BEGIN
    FOR r IN
        SELECT c.relname, p.relname AS parent, substr(c.relname, length(p.relname) + 3) AS suffix
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname IN ('queue_sample', 'topic_minute', 'topic_hour')
          AND p.relnamespace = current_schema()::regnamespace
    LOOP
        CONTINUE WHEN r.suffix !~ '^[0-9]+$';
        CONTINUE WHEN NOT (
            (length(r.suffix) = 8 AND to_date(r.suffix, 'YYYYMMDD') > now() AT TIME ZONE 'UTC')
            OR (length(r.suffix) = 6 AND to_date(r.suffix, 'YYYYMM') > now() AT TIME ZONE 'UTC')
            OR (length(r.suffix) = 4 AND to_date(r.suffix, 'YYYY') > now() AT TIME ZONE 'UTC'));
        EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %I)', r.relname) INTO empty;
        IF empty THEN
            EXECUTE format('DROP TABLE %I', r.relname);
        END IF;
    END LOOP;
END $$;
