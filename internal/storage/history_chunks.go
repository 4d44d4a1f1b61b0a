package storage

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// packLockKey serialises every change to packed history (compaction batches, late points,
// rollups): each reads a packed row, merges and writes it back.
var packLockKey = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("lagboard.history.pack"))
	return int64(h.Sum64())
}()

func lockPacks(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, packLockKey); err != nil {
		return fmt.Errorf("lock packed history: %w", err)
	}
	return nil
}

// chunkKey names one packed row: a series and the start of its period.
type chunkKey struct {
	series int32
	start  time.Time
}

func sortedKeys[V any](m map[chunkKey]V) []chunkKey {
	keys := make([]chunkKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].series != keys[j].series {
			return keys[i].series < keys[j].series
		}
		return keys[i].start.Before(keys[j].start)
	})
	return keys
}

func keyArrays(keys []chunkKey) ([]int32, []time.Time) {
	ids, starts := make([]int32, len(keys)), make([]time.Time, len(keys))
	for i, k := range keys {
		ids[i], starts[i] = k.series, k.start
	}
	return ids, starts
}

// mergeByTime merges b into a, both sorted by time; where both hold a point of the same
// time, b's is kept.
func mergeByTime[P any](a, b []P, at func(P) time.Time) []P {
	out := make([]P, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && at(a[i]).Before(at(b[j]))):
			out = append(out, a[i])
			i++
		case i == len(a) || at(b[j]).Before(at(a[i])):
			out = append(out, b[j])
			j++
		default:
			out = append(out, b[j])
			i++
			j++
		}
	}
	return out
}

// sortDedup sorts points by time and keeps the last of those sharing a time.
func sortDedup[P any](pts []P, at func(P) time.Time) []P {
	sort.SliceStable(pts, func(i, j int) bool { return at(pts[i]).Before(at(pts[j])) })
	out := pts[:0]
	for _, p := range pts {
		if n := len(out); n > 0 && at(out[n-1]).Equal(at(p)) {
			out[n-1] = p
			continue
		}
		out = append(out, p)
	}
	return out
}

func sampleAt(s QueueSample) time.Time { return s.At }
func pointAt(p TopicPoint) time.Time   { return p.At }
func hourAt(p HourPoint) time.Time     { return p.Hour }

// packQueueSamples merges samples into queue_chunk, one row per queue and hour. Samples
// older than keepFrom are past retention and left out. The caller holds lockPacks.
func packQueueSamples(ctx context.Context, tx pgx.Tx, samples []QueueSample, keepFrom time.Time) (int, error) {
	add := map[chunkKey][]QueueSample{}
	for _, s := range samples {
		if s.At.Before(keepFrom) {
			continue
		}
		k := chunkKey{s.SeriesID, hour(s.At)}
		add[k] = append(add[k], s)
	}
	if len(add) == 0 {
		return 0, nil
	}
	keys := sortedKeys(add)
	if err := ensureFor(ctx, tx, queueChunkTable, keys); err != nil {
		return 0, err
	}
	ids, starts := keyArrays(keys)
	rows, err := tx.Query(ctx, `
		SELECT c.series_id, c.hour, c.data FROM queue_chunk c
		JOIN unnest($1::int[], $2::timestamptz[]) AS k(series_id, hour) USING (series_id, hour)`, ids, starts)
	if err != nil {
		return 0, fmt.Errorf("read queue chunks: %w", err)
	}
	stored := map[chunkKey][]QueueSample{}
	var (
		k    chunkKey
		data []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&k.series, &k.start, &data}, func() error {
		pts, err := decodeQueueChunk(k.series, k.start, data)
		stored[chunkKey{k.series, k.start.UTC()}] = pts
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read queue chunks: %w", err)
	}
	n := len(keys)
	los, his, counts, blobs := make([]int64, n), make([]int64, n), make([]int32, n), make([][]byte, n)
	for i, k := range keys {
		pts := mergeByTime(stored[k], sortDedup(add[k], sampleAt), sampleAt)
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for _, p := range pts {
			lo, hi = min(lo, p.MaxOffset), max(hi, p.MaxOffset)
		}
		los[i], his[i], counts[i], blobs[i] = lo, hi, int32(len(pts)), encodeQueueChunk(k.start, pts)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO queue_chunk (series_id, hour, n, lo, hi, data)
		SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::int[], $4::bigint[], $5::bigint[], $6::bytea[])
		ON CONFLICT (series_id, hour) DO UPDATE SET n = excluded.n, lo = excluded.lo, hi = excluded.hi, data = excluded.data`,
		ids, starts, counts, los, his, blobs)
	if err != nil {
		return 0, fmt.Errorf("write queue chunks: %w", err)
	}
	return n, nil
}

// packTopicPoints merges minute points into topic_chunk, one row per topic and hour, and
// rolls each hour it touched up (saveRollups), from every minute point of that hour: the
// packed ones, and, when withRows, those not packed yet. Points older than keepFrom are
// past retention and left out; rollups older than hoursFrom too. The caller holds
// lockPacks.
func packTopicPoints(ctx context.Context, tx pgx.Tx, points []TopicPoint, keepFrom, hoursFrom, now time.Time, withRows bool) (int, error) {
	add := map[chunkKey][]TopicPoint{}
	for _, p := range points {
		if p.At.Before(keepFrom) {
			continue
		}
		k := chunkKey{p.SeriesID, hour(p.At)}
		add[k] = append(add[k], p)
	}
	if len(add) == 0 {
		return 0, nil
	}
	keys := sortedKeys(add)
	if err := ensureFor(ctx, tx, topicChunkTable, keys); err != nil {
		return 0, err
	}
	stored, err := readTopicChunks(ctx, tx, keys, withRows)
	if err != nil {
		return 0, err
	}
	n := len(keys)
	counts, blobs := make([]int32, n), make([][]byte, n)
	hours := map[chunkKey][]HourPoint{}
	for i, k := range keys {
		pts := mergeByTime(stored[k].packed, sortDedup(add[k], pointAt), pointAt)
		counts[i], blobs[i] = int32(len(pts)), encodeTopicChunk(k.start, pts)
		if k.start.Before(hoursFrom) {
			continue
		}
		all := mergeByTime(stored[k].rows, pts, pointAt)
		d := chunkKey{k.series, day(k.start)}
		hours[d] = append(hours[d], rollup(k.start, all))
	}
	ids, starts := keyArrays(keys)
	_, err = tx.Exec(ctx, `
		INSERT INTO topic_chunk (series_id, hour, n, data)
		SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::int[], $4::bytea[])
		ON CONFLICT (series_id, hour) DO UPDATE SET n = excluded.n, data = excluded.data`,
		ids, starts, counts, blobs)
	if err != nil {
		return 0, fmt.Errorf("write topic chunks: %w", err)
	}
	if err := saveRollups(ctx, tx, hours, now); err != nil {
		return 0, err
	}
	return n, nil
}

// saveRollups stores hourly rollups, keyed by series and day. A day's rollups go to its
// partition of topic_hour, a row per series and hour, and are packed into topic_day once,
// when compaction packs the day: a day row rewritten each hour left 23 dead versions of a
// growing row behind it, which was most of the hourly trends' size on disk. What cannot go
// there goes to topic_day directly: a day whose partition is packed or gone, or is one of
// the yearly partitions from before migration 0016. A series of a day that compaction has
// already packed gets both, so the rows, if packed again, carry the same values. The caller
// holds lockPacks, which compaction holds too.
func saveRollups(ctx context.Context, tx pgx.Tx, add map[chunkKey][]HourPoint, now time.Time) error {
	if len(add) == 0 {
		return nil
	}
	parts, err := topicHourTable.partitions(ctx, tx)
	if err != nil {
		return err
	}
	packedUpTo := map[string]int32{}
	rows, err := tx.Query(ctx, `SELECT partition, next_series FROM history_compaction WHERE partition LIKE 'topic\_hour\_p%'`)
	if err != nil {
		return fmt.Errorf("hourly trends: %w", err)
	}
	var (
		name string
		next int32
	)
	if _, err := pgx.ForEachRow(rows, []any{&name, &next}, func() error { packedUpTo[name] = next; return nil }); err != nil {
		return fmt.Errorf("hourly trends: %w", err)
	}
	frontier := now.Add(-LateAfter - compactMargin)
	holding := func(t time.Time) (partition, bool) {
		for _, p := range parts {
			if !t.Before(p.from) && t.Before(p.to) {
				return p, true
			}
		}
		return partition{}, false
	}
	var (
		direct = map[chunkKey][]HourPoint{}
		ids    []int32
		points []HourPoint
	)
	for _, k := range sortedKeys(add) {
		part, ok := holding(k.start)
		if !ok && daily.next(k.start).After(frontier) {
			if err := topicHourTable.ensure(ctx, tx, k.start); err != nil {
				return err
			}
			part = partition{name: topicHourTable.table + "_p" + k.start.Format(daily.layout), from: k.start, to: daily.next(k.start)}
			parts, ok = append(parts, part), true
		}
		if !ok || part.yearly() {
			direct[k] = add[k]
			continue
		}
		for _, h := range sortDedup(add[k], hourAt) {
			ids, points = append(ids, k.series), append(points, h)
		}
		if n, started := packedUpTo[part.name]; started && k.series < n {
			direct[k] = add[k]
		}
	}
	if err := writeHourRows(ctx, tx, ids, points); err != nil {
		return err
	}
	return packHours(ctx, tx, direct, true)
}

// writeHourRows upserts hourly rollups as rows of topic_hour.
func writeHourRows(ctx context.Context, tx pgx.Tx, ids []int32, pts []HourPoint) error {
	if len(pts) == 0 {
		return nil
	}
	n := len(pts)
	var (
		at, first, last       = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		mx, cons, lag, ll     = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		secs, lastSecs, rates = make([]*float64, n), make([]*float64, n), make([]*float64, n)
	)
	for i, h := range pts {
		at[i], first[i], last[i] = h.Hour, h.FirstAt, h.LastAt
		mx[i], cons[i], lag[i], ll[i] = h.MaxOffset, h.ConsumerOffset, h.Lag, h.LastLag
		secs[i], lastSecs[i], rates[i] = h.LagSeconds, h.LastLagSeconds, h.ConsumeTPS
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO topic_hour (series_id, at, first_at, last_at, max_offset, consumer_offset, lag, lag_seconds,
		                        last_lag, last_lag_seconds, consume_tps)
		SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::bigint[],
		                     $6::bigint[], $7::bigint[], $8::float8[], $9::bigint[], $10::float8[], $11::float8[])
		ON CONFLICT (series_id, at) DO UPDATE SET first_at = excluded.first_at, last_at = excluded.last_at,
			max_offset = excluded.max_offset, consumer_offset = excluded.consumer_offset, lag = excluded.lag,
			lag_seconds = excluded.lag_seconds, last_lag = excluded.last_lag,
			last_lag_seconds = excluded.last_lag_seconds, consume_tps = excluded.consume_tps`,
		ids, at, first, last, mx, cons, lag, secs, ll, lastSecs, rates)
	if err != nil {
		return fmt.Errorf("write hourly trends: %w", err)
	}
	return nil
}

// storedMinutes are the minute points of a topic's hour already stored: packed, and still
// single rows.
type storedMinutes struct{ packed, rows []TopicPoint }

func readTopicChunks(ctx context.Context, tx pgx.Tx, keys []chunkKey, withRows bool) (map[chunkKey]storedMinutes, error) {
	ids, starts := keyArrays(keys)
	out := map[chunkKey]storedMinutes{}
	rows, err := tx.Query(ctx, `
		SELECT c.series_id, c.hour, c.data FROM topic_chunk c
		JOIN unnest($1::int[], $2::timestamptz[]) AS k(series_id, hour) USING (series_id, hour)`, ids, starts)
	if err != nil {
		return nil, fmt.Errorf("read topic chunks: %w", err)
	}
	var (
		k    chunkKey
		data []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&k.series, &k.start, &data}, func() error {
		pts, err := decodeTopicChunk(k.series, k.start, data)
		key := chunkKey{k.series, k.start.UTC()}
		s := out[key]
		s.packed = pts
		out[key] = s
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read topic chunks: %w", err)
	}
	if !withRows {
		return out, nil
	}
	rows, err = tx.Query(ctx, `
		SELECT m.series_id, m.at, m.max_offset, m.consumer_offset, m.lag, m.lag_seconds, m.consume_tps
		FROM unnest($1::int[], $2::timestamptz[]) AS k(series_id, hour)
		JOIN topic_minute m ON m.series_id = k.series_id AND m.at >= k.hour AND m.at < k.hour + interval '1 hour'
		ORDER BY m.series_id, m.at`, ids, starts)
	if err != nil {
		return nil, fmt.Errorf("read minute points: %w", err)
	}
	var p TopicPoint
	_, err = pgx.ForEachRow(rows, []any{&p.SeriesID, &p.At, &p.MaxOffset, &p.ConsumerOffset, &p.Lag, &p.LagSeconds, &p.ConsumeTPS}, func() error {
		key := chunkKey{p.SeriesID, hour(p.At)}
		s := out[key]
		s.rows = append(s.rows, p)
		out[key] = s
		p.LagSeconds, p.ConsumeTPS = nil, nil // scanned into fresh values next row
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read minute points: %w", err)
	}
	return out, nil
}

// rollup summarises the minute points of the hour starting at start, sorted by time and
// not empty, as migrations/0011_history_truth.sql defines an hourly point.
func rollup(start time.Time, pts []TopicPoint) HourPoint {
	first, last := pts[0], pts[len(pts)-1]
	h := HourPoint{Hour: start, FirstAt: first.At, LastAt: last.At, MaxOffset: last.MaxOffset,
		ConsumerOffset: last.ConsumerOffset, Lag: last.Lag, LastLag: last.Lag, LastLagSeconds: last.LagSeconds}
	var tps float64
	var rates int
	for _, p := range pts {
		h.Lag = max(h.Lag, p.Lag)
		if s := p.LagSeconds; s != nil && (h.LagSeconds == nil || *s > *h.LagSeconds) {
			v := *s
			h.LagSeconds = &v
		}
		if p.ConsumeTPS != nil {
			tps += *p.ConsumeTPS
			rates++
		}
	}
	if rates > 0 {
		v := tps / float64(rates)
		h.ConsumeTPS = &v
	}
	return h
}

// packHours merges hourly points into topic_day, keyed by series and day. With replace an
// hour already stored takes the new point; without, the stored one stays.
func packHours(ctx context.Context, tx pgx.Tx, add map[chunkKey][]HourPoint, replace bool) error {
	if len(add) == 0 {
		return nil
	}
	keys := sortedKeys(add)
	if err := ensureFor(ctx, tx, topicDayTable, keys); err != nil {
		return err
	}
	ids, starts := keyArrays(keys)
	rows, err := tx.Query(ctx, `
		SELECT d.series_id, d.day, d.data FROM topic_day d
		JOIN unnest($1::int[], $2::timestamptz[]) AS k(series_id, day) USING (series_id, day)`, ids, starts)
	if err != nil {
		return fmt.Errorf("read hourly trends: %w", err)
	}
	stored := map[chunkKey][]HourPoint{}
	var (
		k    chunkKey
		data []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&k.series, &k.start, &data}, func() error {
		pts, err := decodeDay(k.series, k.start, data)
		stored[chunkKey{k.series, k.start.UTC()}] = pts
		return err
	})
	if err != nil {
		return fmt.Errorf("read hourly trends: %w", err)
	}
	counts, blobs := make([]int32, len(keys)), make([][]byte, len(keys))
	for i, k := range keys {
		in := sortDedup(add[k], hourAt)
		var pts []HourPoint
		if replace {
			pts = mergeByTime(stored[k], in, hourAt)
		} else {
			pts = mergeByTime(in, stored[k], hourAt)
		}
		counts[i], blobs[i] = int32(len(pts)), encodeDay(k.start, pts)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO topic_day (series_id, day, n, data)
		SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::int[], $4::bytea[])
		ON CONFLICT (series_id, day) DO UPDATE SET n = excluded.n, data = excluded.data`,
		ids, starts, counts, blobs)
	if err != nil {
		return fmt.Errorf("write hourly trends: %w", err)
	}
	return nil
}

// ensureFor creates the partitions the keys' rows go into.
func ensureFor(ctx context.Context, tx pgx.Tx, p partitioned, keys []chunkKey) error {
	var times []time.Time
	for _, k := range keys {
		if s := p.create.start(k.start); !slices.ContainsFunc(times, s.Equal) {
			times = append(times, s)
		}
	}
	return p.ensure(ctx, tx, times...)
}
