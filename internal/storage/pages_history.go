package storage

import (
	"context"
	"fmt"
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

// LagHistory returns, for every group of keys that has history, its lag in buckets of step
// from from to to, as seen up to now. Windows within the retention of per-minute points read
// topic_minute; longer ones read the hourly rollup. History is stored only when it changes,
// so a bucket without a point carries the last value before it, and a flat stretch's lag in
// time grows with the clock. Nothing is carried back: a bucket before a group's first
// observation has no value, and the bucket holding it is stamped with the observation's
// time rather than the bucket's start.
func LagHistory(ctx context.Context, db DBTX, keys []GroupKey, from, to time.Time, step time.Duration, now time.Time) (map[GroupKey][]LagPoint, error) {
	out := map[GroupKey][]LagPoint{}
	if len(keys) == 0 || !to.After(from) || step <= 0 {
		return out, nil
	}
	ids, groups := make([]int64, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		ids[i], groups[i] = k.ClusterID, k.Group
	}
	// The points in the window. An hourly rollup is two observations: the highest values of
	// its hour at its first point, and the values at its last point, each at its own time.
	src := `(SELECT m.at, m.lag, m.lag_seconds FROM topic_minute m WHERE m.series_id = s.id AND m.at >= $3 AND m.at < $4)`
	if to.Sub(from) > DefaultRetention.TopicMinutes+time.Hour {
		src = `(SELECT v.at, v.lag, v.lag_seconds FROM topic_hour h
				CROSS JOIN LATERAL (VALUES (1, h.first_at, h.lag, h.lag_seconds), (2, h.last_at, h.last_lag, h.last_lag_seconds)) v(n, at, lag, lag_seconds)
				WHERE h.series_id = s.id AND h.at >= $3 - interval '1 hour' AND h.at < $4 AND v.at >= $3 AND v.at < $4
					AND (v.n = 1 OR h.last_at > h.first_at))`
	}
	// Every point when buckets are a minute, or, for longer buckets, two per bucket computed
	// in SQL: the highest values at its first point and the last values at its last, which
	// is all the resampling below needs.
	window := `(SELECT w.at, w.lag, w.lag_seconds FROM ` + src + ` w WHERE $5 <> '')`
	if step > time.Minute {
		window = `(SELECT v.at, v.lag, v.lag_seconds FROM (
				SELECT min(at) AS a0, max(at) AS a1, max(lag) AS mx, max(lag_seconds) AS ms,
				       (array_agg(lag ORDER BY at DESC))[1] AS ll, (array_agg(lag_seconds ORDER BY at DESC))[1] AS ls
				FROM ` + src + ` w
				GROUP BY date_bin($5::interval, w.at, $3)
			) b CROSS JOIN LATERAL (VALUES (1, b.a0, b.mx, b.ms), (2, b.a1, b.ll, b.ls)) v(n, at, lag, lag_seconds)
			WHERE v.n = 1 OR b.a1 > b.a0)`
	}
	// The last observation before the window starts the carry: the last minute point, or,
	// once minute points have expired, the last point of an hourly rollup, at the time it
	// was taken.
	rows, err := db.Query(ctx, `
		WITH s AS (
			SELECT t.id, t.cluster_id, t.group_name, t.topic FROM topic_series t
			JOIN unnest($1::bigint[], $2::text[]) AS k(cluster_id, group_name) USING (cluster_id, group_name)
		)
		SELECT s.id, s.cluster_id, s.group_name, s.topic, p.at, p.lag, p.lag_seconds
		FROM s CROSS JOIN LATERAL (
			(SELECT h.last_at AS at, h.last_lag AS lag, h.last_lag_seconds AS lag_seconds FROM topic_hour h
			 WHERE h.series_id = s.id AND h.at < $3 AND h.last_at < $3 ORDER BY h.at DESC LIMIT 1)
			UNION ALL
			(SELECT m.at, m.lag, m.lag_seconds FROM topic_minute m WHERE m.series_id = s.id AND m.at < $3 ORDER BY m.at DESC LIMIT 1)
			UNION ALL
			`+window+`
		) p
		ORDER BY s.id, p.at`, ids, groups, from, to, fmt.Sprintf("%d seconds", int64(step/time.Second)))
	if err != nil {
		return nil, fmt.Errorf("lag history: %w", err)
	}
	n := int((to.Sub(from) + step - 1) / step)
	var (
		cur      *seriesWalk
		id       int32
		key      GroupKey
		topic    string
		pt       historyPoint
		secs     *float64
		finished []*seriesWalk
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &key.ClusterID, &key.Group, &topic, &pt.at, &pt.lag, &secs}, func() error {
		pt.secs = nil
		if secs != nil {
			v := *secs
			pt.secs = &v
		}
		if cur == nil || cur.id != id {
			cur = &seriesWalk{id: id, key: key, retry: strings.HasPrefix(topic, "%RETRY%")}
			finished = append(finished, cur)
		}
		cur.points = append(cur.points, pt)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lag history: %w", err)
	}
	// A flat stretch's age grows only up to now, not to the end of the current bucket.
	until := to
	if now.Before(until) {
		until = now
	}
	acc := map[GroupKey][]bucketSum{}
	first := map[GroupKey]time.Time{}
	for _, w := range finished {
		sums := acc[w.key]
		if sums == nil {
			sums = make([]bucketSum, n)
			acc[w.key] = sums
		}
		if f, ok := first[w.key]; len(w.points) > 0 && (!ok || w.points[0].at.Before(f)) {
			first[w.key] = w.points[0].at
		}
		w.resample(sums, from, to, until, step)
	}
	for k, sums := range acc {
		pts := make([]LagPoint, n)
		for i, b := range sums {
			start := from.Add(time.Duration(i) * step)
			at := start
			if f := first[k]; f.After(start) && f.Before(start.Add(step)) {
				at = f // the first observation: nothing is known of the bucket before it
			}
			pts[i] = b.point(at)
		}
		out[k] = pts
	}
	return out, nil
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
