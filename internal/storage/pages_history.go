package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// GroupKey names a consumer group of a stored cluster.
type GroupKey struct {
	ClusterID int64
	Group     string
}

// LagPoint is a group's lag over one bucket of time: the messages waiting, summed over its
// topics (retry topic included), and the age of the oldest unconsumed message, the worst
// over its topics (retry topic left out, as in the group's lag in time). Each is the highest
// value seen in the bucket; nil means no data or unknown, never zero.
type LagPoint struct {
	At      time.Time
	Lag     *int64
	Seconds *float64
}

// rollupLag is how far back from the current hour LagHistory reads minute points instead
// of the hourly rollups: compaction rolls an hour up a quarter of an hour after it ends (or
// later when it has fallen behind), and an hour still getting points, from a write of late
// points, has a rollup of part of it.
const rollupLag = 6 * time.Hour

// hourlyReads lets windows of hourly buckets read the rollups; off only in the test that
// compares both ways of reading.
var hourlyReads = true

// LagHistory returns, for every group of keys that has history, its lag in buckets of step
// from from to to, as seen up to now. Windows within the retention of per-minute points read
// the minute points (single rows in topic_minute, packed in topic_chunk); longer ones read
// the hourly rollups (topic_day, and rows of topic_hour not packed yet). History is stored
// only when it changes, so a bucket without a point carries the last value before it, and a
// flat stretch's lag in time grows with the clock. Nothing is carried back: a bucket before a
// group's first observation has no value, and the bucket holding it is stamped with the
// observation's time rather than the bucket's start.
func LagHistory(ctx context.Context, db DBTX, keys []GroupKey, from, to time.Time, step time.Duration, now time.Time) (map[GroupKey][]LagPoint, error) {
	out := map[GroupKey][]LagPoint{}
	if len(keys) == 0 || !to.After(from) || step <= 0 {
		return out, nil
	}
	ids, groups := make([]int64, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		ids[i], groups[i] = k.ClusterID, k.Group
	}
	// Buckets of whole hours, on the hour, are what the hourly rollups hold: their highest
	// values and their last, each at its own time, the two points a bucket's resampling
	// keeps of its minute points. Such windows read the rollups, and minute points only
	// after the last rollup (the hours not rolled up yet): 720 minute points an hour fewer
	// to read for each day shown. Windows past the retention of minute points read
	// nothing else.
	long := to.Sub(from) > DefaultRetention.TopicMinutes+time.Hour ||
		(hourlyReads && step >= time.Hour && step%time.Hour == 0 && from.Equal(hour(from)))
	tail := hour(now).Add(-rollupLag)
	if tail.Before(from) {
		tail = from
	}
	// The stored rows that can hold the last observation before the window (single rows, or
	// the packed rows before it: a packed row may hold only later points), then those that
	// can hold points in the window. An hourly rollup is two observations: the highest values
	// of its hour at its first point, and the values at its last point, each at its own time.
	// Minute points from the window's start, or in long windows from the tail, after the
	// hourly rollups.
	minutesFrom, window := from, ""
	if long {
		minutesFrom = tail
		window = `
			UNION ALL
			(SELECT 'h', h.at, NULL, h.lag, h.lag_seconds, h.first_at, h.last_at, h.last_lag, h.last_lag_seconds FROM topic_hour h
			 WHERE h.series_id = s.id AND h.at >= $3::timestamptz - interval '1 hour' AND h.at < $4)
			UNION ALL
			(SELECT 'd', d.day, d.data, NULL, NULL, NULL, NULL, NULL, NULL FROM topic_day d
			 WHERE d.series_id = s.id AND d.day > $3::timestamptz - interval '1 hour' - interval '1 day' AND d.day < $4)`
	}
	window += `
			UNION ALL
			(SELECT 'm', m.at, NULL, m.lag, m.lag_seconds, NULL, NULL, NULL, NULL FROM topic_minute m
			 WHERE m.series_id = s.id AND m.at >= $5 AND m.at < $4)
			UNION ALL
			(SELECT 'c', c.hour, c.data, NULL, NULL, NULL, NULL, NULL, NULL FROM topic_chunk c
			 WHERE c.series_id = s.id AND c.hour > $5::timestamptz - interval '1 hour' AND c.hour < $4)`
	rows, err := db.Query(ctx, `
		WITH s AS (
			SELECT t.id, t.cluster_id, t.group_name, t.topic FROM topic_series t
			JOIN unnest($1::bigint[], $2::text[]) AS k(cluster_id, group_name) USING (cluster_id, group_name)
		)
		SELECT s.id, s.cluster_id, s.group_name, s.topic, p.kind, p.at, p.data, p.lag, p.lag_seconds,
		       p.first_at, p.last_at, p.last_lag, p.last_lag_seconds
		FROM s CROSS JOIN LATERAL (
			(SELECT 'm' AS kind, m.at, NULL::bytea AS data, m.lag, m.lag_seconds, NULL::timestamptz AS first_at,
			        NULL::timestamptz AS last_at, NULL::bigint AS last_lag, NULL::double precision AS last_lag_seconds
			 FROM topic_minute m WHERE m.series_id = s.id AND m.at < $3 ORDER BY m.at DESC LIMIT 1)
			UNION ALL
			(SELECT 'c', c.hour, c.data, NULL, NULL, NULL, NULL, NULL, NULL FROM topic_chunk c
			 WHERE c.series_id = s.id AND c.hour < $3 ORDER BY c.hour DESC LIMIT 2)
			UNION ALL
			(SELECT 'h', h.at, NULL, h.lag, h.lag_seconds, h.first_at, h.last_at, h.last_lag, h.last_lag_seconds FROM topic_hour h
			 WHERE h.series_id = s.id AND h.at < $3 AND h.last_at < $3 ORDER BY h.at DESC LIMIT 1)
			UNION ALL
			(SELECT 'd', d.day, d.data, NULL, NULL, NULL, NULL, NULL, NULL FROM topic_day d
			 WHERE d.series_id = s.id AND d.day < $3 ORDER BY d.day DESC LIMIT 3)`+window+`
		) p
		ORDER BY s.id`, ids, groups, from, to, minutesFrom)
	if err != nil {
		return nil, fmt.Errorf("lag history: %w", err)
	}
	var (
		stored []*storedSeries
		cur    *storedSeries
		id     int32
		key    GroupKey
		topic  string
		kind   string
		at     time.Time
		data   []byte
		lag    *int64
		secs   *float64
		first  *time.Time
		last   *time.Time
		ll     *int64
		ls     *float64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &key.ClusterID, &key.Group, &topic, &kind, &at, &data, &lag, &secs, &first, &last, &ll, &ls}, func() error {
		if cur == nil || cur.id != id {
			cur = &storedSeries{id: id, key: key, retry: strings.HasPrefix(topic, "%RETRY%"), opened: map[chunkKey]bool{}}
			stored = append(stored, cur)
		}
		return cur.add(kind, at, data, lag, secs, first, last, ll, ls)
	})
	if err != nil {
		return nil, fmt.Errorf("lag history: %w", err)
	}
	var finished []*seriesWalk
	for _, st := range stored {
		if w := st.walk(from, to, step, long, tail); len(w.points) > 0 {
			finished = append(finished, w)
		}
	}
	n := int((to.Sub(from) + step - 1) / step)
	// A flat stretch's age grows only up to now, not to the end of the current bucket.
	until := to
	if now.Before(until) {
		until = now
	}
	acc := map[GroupKey][]bucketSum{}
	firstAt := map[GroupKey]time.Time{}
	for _, w := range finished {
		sums := acc[w.key]
		if sums == nil {
			sums = make([]bucketSum, n)
			acc[w.key] = sums
		}
		if f, ok := firstAt[w.key]; !ok || w.points[0].at.Before(f) {
			firstAt[w.key] = w.points[0].at
		}
		w.resample(sums, from, to, until, step)
	}
	for k, sums := range acc {
		pts := make([]LagPoint, n)
		for i, b := range sums {
			start := from.Add(time.Duration(i) * step)
			at := start
			if f := firstAt[k]; f.After(start) && f.Before(start.Add(step)) {
				at = f // the first observation: nothing is known of the bucket before it
			}
			pts[i] = b.point(at)
		}
		out[k] = pts
	}
	return out, nil
}

// storedSeries is what LagHistory read of one topic: its minute points and hourly points,
// from single and packed rows.
type storedSeries struct {
	id      int32
	key     GroupKey
	retry   bool
	opened  map[chunkKey]bool // packed rows decoded, by kind ('c' or 'd') in series
	minutes []TopicPoint
	hours   []HourPoint
	loose   []HourPoint // rows of topic_hour, not packed yet
}

func (s *storedSeries) add(kind string, at time.Time, data []byte, lag *int64, secs *float64, first, last *time.Time, ll *int64, ls *float64) error {
	switch kind {
	case "m":
		if lag != nil {
			s.minutes = append(s.minutes, TopicPoint{At: at, Lag: *lag, LagSeconds: copyOf(secs)})
		}
	case "h":
		if lag != nil && first != nil && last != nil && ll != nil {
			s.loose = append(s.loose, HourPoint{Hour: at.UTC(), FirstAt: *first, LastAt: *last, Lag: *lag,
				LagSeconds: copyOf(secs), LastLag: *ll, LastLagSeconds: copyOf(ls)})
		}
	case "c", "d":
		k := chunkKey{int32(kind[0]), at.UTC()}
		if s.opened[k] {
			return nil
		}
		s.opened[k] = true
		if kind == "c" {
			pts, err := decodeTopicChunk(s.id, at, data)
			s.minutes = append(s.minutes, pts...)
			return err
		}
		pts, err := decodeDay(s.id, at.UTC(), data)
		s.hours = append(s.hours, pts...)
		return err
	}
	return nil
}

func copyOf[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// walk picks the points LagHistory resamples: the last observation before the window and
// the points in it (in long windows the hourly rollups before tail and the minute points
// after it), two per bucket when buckets are longer than a minute (the highest values
// at the bucket's first point, the last values at its last), which is all the resampling
// needs.
func (s *storedSeries) walk(from, to time.Time, step time.Duration, long bool, tail time.Time) *seriesWalk {
	w := &seriesWalk{id: s.id, key: s.key, retry: s.retry}
	minutes := sortDedup(s.minutes, pointAt)
	hours := mergeByTime(sortDedup(s.loose, hourAt), sortDedup(s.hours, hourAt), hourAt)
	for i := len(hours) - 1; i >= 0; i-- {
		if h := hours[i]; h.Hour.Before(from) && h.LastAt.Before(from) {
			w.points = append(w.points, historyPoint{at: h.LastAt, lag: h.LastLag, secs: h.LastLagSeconds})
			break
		}
	}
	var in []historyPoint
	for i, m := range minutes {
		if !m.At.Before(from) {
			if i > 0 {
				p := minutes[i-1]
				w.points = append(w.points, historyPoint{at: p.At, lag: p.Lag, secs: p.LagSeconds})
			}
			if !long {
				for _, m := range minutes[i:] {
					if m.At.Before(to) {
						in = append(in, historyPoint{at: m.At, lag: m.Lag, secs: m.LagSeconds})
					}
				}
			}
			break
		}
		if i == len(minutes)-1 {
			w.points = append(w.points, historyPoint{at: m.At, lag: m.Lag, secs: m.LagSeconds})
		}
	}
	if long {
		// Rollups before the tail; after it, minute points where there are any: the rollup
		// of an hour that is still getting points (from a write of late points) holds only
		// part of it.
		minuteHours := map[time.Time]bool{}
		for _, m := range minutes {
			if !m.At.Before(tail) {
				minuteHours[hour(m.At)] = true
			}
		}
		for _, h := range hours {
			if h.Hour.Before(from.Add(-time.Hour)) || !h.Hour.Before(to) || (!h.Hour.Before(tail) && minuteHours[h.Hour]) {
				continue
			}
			in = append(in, historyPoint{at: h.FirstAt, lag: h.Lag, secs: h.LagSeconds})
			if h.LastAt.After(h.FirstAt) {
				in = append(in, historyPoint{at: h.LastAt, lag: h.LastLag, secs: h.LastLagSeconds})
			}
		}
		for _, m := range minutes {
			if !m.At.Before(tail) && !m.At.Before(from) && m.At.Before(to) {
				in = append(in, historyPoint{at: m.At, lag: m.Lag, secs: m.LagSeconds})
			}
		}
		kept := in[:0]
		for _, p := range in {
			if !p.at.Before(from) && p.at.Before(to) {
				kept = append(kept, p)
			}
		}
		in = kept
	}
	if step > time.Minute {
		in = twoPerBucket(in, from, step)
	}
	w.points = append(w.points, in...)
	sort.SliceStable(w.points, func(i, j int) bool { return w.points[i].at.Before(w.points[j].at) })
	return w
}

// twoPerBucket reduces points to two per bucket of step counted from from: at the first
// point, the highest lag and lag in time of the bucket; at the last, its values.
func twoPerBucket(pts []historyPoint, from time.Time, step time.Duration) []historyPoint {
	type bucket struct {
		first, last historyPoint
		lag         int64
		secs        *float64
	}
	var (
		out []historyPoint
		b   *bucket
		idx int64 = -1
	)
	flush := func() {
		if b == nil {
			return
		}
		out = append(out, historyPoint{at: b.first.at, lag: b.lag, secs: b.secs})
		if b.last.at.After(b.first.at) {
			out = append(out, b.last)
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].at.Before(pts[j].at) })
	for _, p := range pts {
		i := int64(p.at.Sub(from) / step)
		if b == nil || i != idx {
			flush()
			b, idx = &bucket{first: p, last: p, lag: p.lag, secs: copyOf(p.secs)}, i
			continue
		}
		if !p.at.Before(b.last.at) {
			b.last = p
		}
		b.lag = max(b.lag, p.lag)
		if p.secs != nil && (b.secs == nil || *p.secs > *b.secs) {
			b.secs = copyOf(p.secs)
		}
	}
	flush()
	return out
}

type historyPoint struct {
	at   time.Time
	lag  int64
	secs *float64
}

// seriesWalk is one topic's points in time order.
type seriesWalk struct {
	id     int32
	key    GroupKey
	retry  bool
	points []historyPoint
}

// bucketSum adds up the topics of a group within one bucket.
type bucketSum struct {
	lag         int64
	hasLag      bool
	secs        float64
	hasSecs     bool
	unknownSecs bool
}

func (b bucketSum) point(at time.Time) LagPoint {
	p := LagPoint{At: at}
	if b.hasLag {
		v := b.lag
		p.Lag = &v
	}
	if b.hasSecs && !b.unknownSecs {
		v := b.secs
		p.Seconds = &v
	}
	return p
}

// carry is what is known of a series at a moment: its lag and the age of its oldest
// unconsumed message as of secsAt.
type carry struct {
	has, secsKnown bool
	lag            int64
	secs           float64
	secsAt         time.Time
}

func (c *carry) apply(p historyPoint) {
	switch {
	case p.secs != nil:
		c.secs, c.secsAt, c.secsKnown = *p.secs, p.at, true
	case p.lag == 0:
		c.secs, c.secsAt, c.secsKnown = 0, p.at, true
	case c.has && c.lag == p.lag && c.secsKnown:
		// The end of a flat stretch, stored without a lag in time: the same oldest
		// message is still waiting, older by the time passed.
	default:
		c.secsKnown = false
	}
	c.has, c.lag = true, p.lag
}

// secondsAt is the age of the oldest unconsumed message at t, if known.
func (c *carry) secondsAt(t time.Time) (float64, bool) {
	switch {
	case c.lag == 0:
		return 0, true
	case !c.secsKnown:
		return 0, false
	}
	return c.secs + max(t.Sub(c.secsAt).Seconds(), 0), true
}

// resample adds the series into the group's buckets: the highest lag of its points in a
// bucket, or the value carried from before when the bucket has none.
func (w *seriesWalk) resample(sums []bucketSum, from, to, until time.Time, step time.Duration) {
	var c carry
	i := 0
	for b := range sums {
		start := from.Add(time.Duration(b) * step)
		end := start.Add(step)
		if end.After(to) {
			end = to
		}
		var (
			inside      bool
			lag         int64
			secs        float64
			secsUnknown bool
		)
		for ; i < len(w.points) && w.points[i].at.Before(end); i++ {
			p := w.points[i]
			c.apply(p)
			if p.at.Before(start) {
				continue
			}
			s, ok := c.secondsAt(p.at)
			if !inside {
				lag, secs, secsUnknown, inside = p.lag, s, !ok, true
				continue
			}
			lag, secs, secsUnknown = max(lag, p.lag), max(secs, s), secsUnknown || !ok
		}
		if !c.has {
			continue
		}
		if !inside {
			at := end
			if at.After(until) {
				at = until
			}
			s, ok := c.secondsAt(at)
			lag, secs, secsUnknown = c.lag, s, !ok
		}
		sum := &sums[b]
		sum.lag += lag
		sum.hasLag = true
		if w.retry {
			continue
		}
		if secsUnknown {
			sum.unknownSecs = true
			continue
		}
		sum.secs = max(sum.secs, secs)
		sum.hasSecs = true
	}
}
