package storage_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// history is a small fleet's stored history: two groups, per-queue samples and per-topic
// minute points, written cycle by cycle as the poller writes them.
type history struct {
	cluster int64
	groups  []storage.GroupKey
	queues  []int32 // queue series ids
	start   time.Time
	end     time.Time
	maxes   map[int32][]int64 // max offsets written per queue, in order
}

// writeHistory writes cycles every 10 s from start for span: queue samples every cycle
// (queue 3 only every sixth: a flat stretch's two ends), minute points at each minute's
// first cycle, the lag rising and falling, the lag in time sometimes unknown, a retry topic
// that moves rarely, and a quarter of an hour in which the brokers did not answer and
// nothing was written. Partitions are made as the poller makes them, hour by hour.
func writeHistory(t *testing.T, pool *pgxpool.Pool, start time.Time, span time.Duration) history {
	t.Helper()
	ctx := context.Background()
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	h := history{cluster: c.ID, start: start, end: start.Add(span), maxes: map[int32][]int64{},
		groups: []storage.GroupKey{{ClusterID: c.ID, Group: "orders"}, {ClusterID: c.ID, Group: "audit"}}}
	var qkeys []storage.QueueKey
	for q := range 4 {
		qkeys = append(qkeys, storage.QueueKey{Group: "orders", Topic: "payments", Broker: "broker-a", QueueID: int32(q)})
	}
	qids, err := storage.QueueSeriesIDs(ctx, pool, c.ID, qkeys)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range qkeys {
		h.queues = append(h.queues, qids[k])
	}
	tkeys := []storage.TopicKey{{Group: "orders", Topic: "payments"}, {Group: "orders", Topic: "%RETRY%orders"}, {Group: "audit", Topic: "events"}}
	tids, err := storage.TopicSeriesIDs(ctx, pool, c.ID, tkeys)
	if err != nil {
		t.Fatal(err)
	}
	var hour time.Time
	lastMinute := time.Time{}
	for i := 0; ; i++ {
		// Polls start a few milliseconds late, by a different amount each time.
		at := start.Add(time.Duration(i)*10*time.Second + time.Duration(i*7919%23)*time.Millisecond + 17*time.Microsecond)
		if !at.Before(h.end) {
			break
		}
		if at.Sub(start) > 70*time.Minute && at.Sub(start) < 85*time.Minute {
			continue // the brokers did not answer
		}
		if at.Truncate(time.Hour) != hour {
			hour = at.Truncate(time.Hour)
			if err := storage.EnsurePartitions(ctx, pool, at); err != nil {
				t.Fatal(err)
			}
		}
		cy := storage.Cycle{ClusterID: c.ID, At: at}
		for q, id := range h.queues {
			if q == 3 && i%6 != 0 {
				continue
			}
			mx := 1_000_000 + int64(i)*int64(30+q*7) + int64(i*i%13)
			h.maxes[id] = append(h.maxes[id], mx)
			cy.QueueSamples = append(cy.QueueSamples, storage.QueueSample{SeriesID: id, At: at, MaxOffset: mx,
				ConsumerOffset: mx - int64(i%40)*int64(q+1)})
		}
		if m := at.Truncate(time.Minute); m != lastMinute {
			lastMinute = m
			n := int(at.Sub(start) / time.Minute)
			lag := int64(n%37) * 11
			var secs *float64
			if n%5 != 4 {
				v := float64(n%37) * 1.5
				secs = &v
			}
			tps := 33.25 + float64(n%3)
			cy.TopicPoints = append(cy.TopicPoints,
				storage.TopicPoint{SeriesID: tids[tkeys[0]], At: at, MaxOffset: 9_000 + int64(n)*300 + lag, ConsumerOffset: 9_000 + int64(n)*300,
					Lag: lag, LagSeconds: secs, ConsumeTPS: &tps},
				storage.TopicPoint{SeriesID: tids[tkeys[2]], At: at, MaxOffset: 50 + int64(n), ConsumerOffset: 50 + int64(n) - int64(n%3),
					Lag: int64(n % 3)})
			if n%45 == 0 {
				cy.TopicPoints = append(cy.TopicPoints, storage.TopicPoint{SeriesID: tids[tkeys[1]], At: at, MaxOffset: int64(n),
					ConsumerOffset: int64(n) - 2, Lag: 2})
			}
		}
		if err := storage.SaveCycle(ctx, pool, cy); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// reads is everything the pages and the poller read of history, as text to compare.
func (h history) reads(t *testing.T, pool *pgxpool.Pool, now time.Time) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, r := range chartRanges {
		to := now.Truncate(r.step).Add(r.step)
		for _, from := range []time.Time{to.Add(-r.span), h.start.Add(37 * time.Minute)} {
			got, err := storage.LagHistory(ctx, pool, h.groups, from, to, r.step, now)
			if err != nil {
				t.Fatal(err)
			}
			for k, pts := range got {
				var b strings.Builder
				for _, p := range pts {
					fmt.Fprintf(&b, "%s lag=%v secs=%v\n", p.At.UTC().Format(time.RFC3339Nano), deref(p.Lag), deref(p.Seconds))
				}
				out[fmt.Sprintf("lag %s %s from %s", r.name, k.Group, from.Format(time.RFC3339))] = b.String()
			}
		}
	}
	var qs []storage.OffsetQuery
	for _, id := range h.queues {
		m := h.maxes[id]
		for _, i := range []int{0, 1, len(m) / 3, len(m) / 2, len(m) - 2, len(m) - 1} {
			for _, d := range []int64{-1, 0, 5} {
				qs = append(qs, storage.OffsetQuery{SeriesID: id, Offset: m[i] + d})
			}
		}
	}
	brackets, err := storage.WriteTimeBrackets(ctx, pool, qs)
	if err != nil {
		t.Fatal(err)
	}
	for q, b := range brackets {
		when := func(t *time.Time) string {
			if t == nil {
				return "-"
			}
			return t.UTC().Format(time.RFC3339Nano)
		}
		out[fmt.Sprintf("bracket %d@%d", q.SeriesID, q.Offset)] = fmt.Sprintf("%s %d .. %s %d", when(b.Before), b.BeforeMax, when(b.After), b.AfterMax)
	}
	return out
}

func compactAll(t *testing.T, pool *pgxpool.Pool, now time.Time, rows int) []string {
	t.Helper()
	var dropped []string
	for range 10_000 {
		res, err := storage.CompactHistory(context.Background(), pool, now, storage.DefaultRetention, rows)
		if err != nil {
			t.Fatal(err)
		}
		if res.Dropped {
			dropped = append(dropped, res.Partition)
		}
		if !res.More {
			return dropped
		}
	}
	t.Fatal("compaction did not finish")
	return nil
}

func partitionNames(t *testing.T, pool *pgxpool.Pool, table string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = $1 ORDER BY 1`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

func diffReads(t *testing.T, before, after map[string]string) {
	t.Helper()
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	bad := 0
	for _, k := range keys {
		if before[k] != after[k] && bad < 5 {
			bad++
			t.Errorf("%s changed:\nbefore:\n%s\nafter:\n%s", k, before[k], after[k])
		}
	}
}

// TestCompactionKeepsWhatHistoryReads: packing single rows changes nothing that is read:
// every chart range, the first observation, the gap, the flat stretches, and when each
// queue's messages were written; the partitions of single rows are dropped once packed,
// batch after batch, a series never split between batches.
func TestCompactionKeepsWhatHistoryReads(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	start := time.Date(2026, 3, 2, 1, 43, 20, 0, time.UTC)
	h := writeHistory(t, pool, start, 3*time.Hour)
	now := h.end.Add(time.Minute)
	if _, err := storage.RollupHours(ctx, pool, start.Add(-48*time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	before := h.reads(t, pool, now)
	if len(before) < 2*len(chartRanges) {
		t.Fatalf("only %d reads: the fleet's history is not there", len(before))
	}

	// Three hours later, every partition of single rows can be packed. Batches of 500 rows
	// end between series, and a series longer than that (a queue has 360 samples an hour,
	// more in a day) is packed alone.
	dropped := compactAll(t, pool, now.Add(3*time.Hour), 500)
	if len(dropped) < 8 {
		t.Errorf("dropped %v; want at least the 4 hourly partitions of both tables", dropped)
	}
	for _, table := range []string{"queue_sample", "topic_minute"} {
		if left := partitionNames(t, pool, table); len(left) != 0 {
			t.Errorf("%s partitions left: %v", table, left)
		}
	}
	var chunks, samples int
	if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(n), 0) FROM queue_chunk`).Scan(&chunks, &samples); err != nil {
		t.Fatal(err)
	}
	written := 0
	for _, m := range h.maxes {
		written += len(m)
	}
	if chunks != 4*4 || samples != written {
		t.Errorf("queue_chunk: %d rows of %d samples; want 16 rows (4 queues × 4 hours) of %d", chunks, samples, written)
	}
	diffReads(t, before, h.reads(t, pool, now))
}

// TestLatePointsArePacked: the end of a flat stretch, written when a group comes back
// after its brokers failed for longer than an hour, lands in an hour already packed; it is
// read like any other point, and the hour's rollup takes it in.
func TestLatePointsArePacked(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	h := writeHistory(t, pool, start, 2*time.Hour)
	compactAll(t, pool, h.end.Add(time.Hour), 20_000)
	ids, err := storage.TopicSeriesIDs(ctx, pool, h.cluster, []storage.TopicKey{{Group: "orders", Topic: "payments"}})
	if err != nil {
		t.Fatal(err)
	}
	topic := ids[storage.TopicKey{Group: "orders", Topic: "payments"}]
	queue := h.queues[0]

	// Between two stored samples of queue 0 (the first two of 01:30:xx), a late sample.
	lateAt := start.Add(30*time.Minute + 5*time.Second)
	var beforeMax int64
	if err := pool.QueryRow(ctx, `SELECT hi FROM queue_chunk WHERE series_id = $1 AND hour = $2`, queue, start).Scan(&beforeMax); err != nil {
		t.Fatal(err)
	}
	const lateMax = 3_000_000_000
	secs := 4321.0
	back := h.end.Add(90 * time.Minute)
	if err := storage.EnsurePartitions(ctx, pool, back); err != nil {
		t.Fatal(err)
	}
	err = storage.SaveCycle(ctx, pool, storage.Cycle{ClusterID: h.cluster, At: back,
		QueueSamples: []storage.QueueSample{{SeriesID: queue, At: lateAt, MaxOffset: lateMax, ConsumerOffset: lateMax}},
		TopicPoints:  []storage.TopicPoint{{SeriesID: topic, At: lateAt, MaxOffset: 1, ConsumerOffset: 1, Lag: 99_999, LagSeconds: &secs}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := storage.WriteTimeBrackets(ctx, pool, []storage.OffsetQuery{{SeriesID: queue, Offset: lateMax - 1}})
	if err != nil {
		t.Fatal(err)
	}
	if got := b[storage.OffsetQuery{SeriesID: queue, Offset: lateMax - 1}]; got.After == nil || !got.After.Equal(lateAt) || got.AfterMax != lateMax {
		t.Errorf("bracket of the late sample's offset: %+v, want it written at %s", got, lateAt)
	}
	from := start.Add(30 * time.Minute)
	lag, err := storage.LagHistory(ctx, pool, h.groups[:1], from, from.Add(2*time.Minute), time.Minute, back)
	if err != nil {
		t.Fatal(err)
	}
	if pts := lag[h.groups[0]]; len(pts) != 2 || pts[0].Lag == nil || *pts[0].Lag < 99_999 || pts[0].Seconds == nil || *pts[0].Seconds < secs {
		t.Errorf("minute of the late point: %+v", pts)
	}
	hours, err := storage.HourlyPoints(ctx, pool, topic, start, start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(hours) != 1 || hours[0].Lag < 99_999 || hours[0].LagSeconds == nil || *hours[0].LagSeconds < secs {
		t.Errorf("rollup of the late point's hour: %+v", hours)
	}
}

// TestHourlyTrendsPackedOnceADay: an hour's rollup is kept as a row of its day's topic_hour
// partition until the day is over, and then packed into topic_day with the rest of the day,
// once; a day row rewritten as each hour was packed left a dead version of itself behind
// every hour. Moving the rollups from rows to the packed day changes nothing read.
func TestHourlyTrendsPackedOnceADay(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	start := time.Date(2026, 3, 2, 22, 43, 20, 0, time.UTC) // three hours across midnight
	h := writeHistory(t, pool, start, 3*time.Hour)

	// At 02:30 every minute partition is packed; 2 March is over (and its margin), 3 March
	// is not.
	compactAll(t, pool, time.Date(2026, 3, 3, 2, 30, 0, 0, time.UTC), 500)
	// (4 March's was made ahead, as the hour turned.)
	if got := strings.Join(partitionNames(t, pool, "topic_hour"), " "); got != "topic_hour_p20260303 topic_hour_p20260304" {
		t.Fatalf("topic_hour partitions %s, want 3 March's and the one made ahead", got)
	}
	days := func() []string {
		rows, err := pool.Query(ctx, `SELECT DISTINCT to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM topic_day ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := days(); strings.Join(got, " ") != "2026-03-02" {
		t.Errorf("topic_day holds %v; want 2 March alone, the day that is over", got)
	}
	var rows, hours int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT at) FROM topic_hour`).Scan(&rows, &hours); err != nil {
		t.Fatal(err)
	}
	if hours != 2 || rows < 2*2 {
		t.Errorf("topic_hour: %d rows over %d hours; want the rollups of 00:00 and 01:00", rows, hours)
	}
	before := h.reads(t, pool, h.end.Add(time.Minute))

	// A day later 3 March is packed whole, in one write, and its partition dropped.
	dropped := compactAll(t, pool, time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC), 500)
	if !slices.Contains(dropped, "topic_hour_p20260303") || slices.Contains(dropped, "topic_hour_p20260304") {
		t.Errorf("dropped %v, want 3 March's hourly rows and not the next day's", dropped)
	}
	if got := days(); strings.Join(got, " ") != "2026-03-02 2026-03-03" {
		t.Errorf("topic_day holds %v", got)
	}
	diffReads(t, before, h.reads(t, pool, h.end.Add(time.Minute)))
}

// TestHourlyBucketsReadFromRollups: a chart of whole-hour buckets drawn from the hourly
// rollups (and the minute points of the hours not rolled up yet) is the chart drawn from
// every minute point, before and after the minute points are packed.
func TestHourlyBucketsReadFromRollups(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	start := time.Date(2026, 3, 2, 1, 43, 20, 0, time.UTC)
	h := writeHistory(t, pool, start, 5*time.Hour)
	// Every hour but the last is rolled up, as compaction would have by then.
	rolledUpTo := h.end.Truncate(time.Hour)
	if _, err := storage.RollupHours(ctx, pool, start.Add(-48*time.Hour), rolledUpTo); err != nil {
		t.Fatal(err)
	}
	read := func(now time.Time) string {
		t.Helper()
		var b strings.Builder
		for _, span := range []time.Duration{6 * time.Hour, 30 * 24 * time.Hour} {
			to := now.Truncate(time.Hour).Add(time.Hour)
			hist, err := storage.LagHistory(ctx, pool, h.groups, to.Add(-span), to, time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range h.groups {
				for _, p := range hist[g] {
					if p.Lag != nil || p.Seconds != nil {
						fmt.Fprintf(&b, "%s %s %s %v %v\n", span, g.Group, p.At.Format(time.RFC3339Nano), deref(p.Lag), deref(p.Seconds))
					}
				}
			}
		}
		return b.String()
	}
	for _, now := range []time.Time{h.end.Add(time.Minute), h.end.Add(3 * time.Hour)} {
		fromRollups := read(now)
		restore := storage.ReadHourlyFromMinutes()
		fromMinutes := read(now)
		restore()
		if strings.Count(fromMinutes, "\n") < 10 {
			t.Fatalf("at %s only %d points read", now, strings.Count(fromMinutes, "\n"))
		}
		if fromRollups != fromMinutes {
			t.Errorf("at %s, from the rollups:\n%s\nfrom the minute points:\n%s", now, fromRollups, fromMinutes)
		}
	}
	compactAll(t, pool, h.end.Add(3*time.Hour), 500)
	now := h.end.Add(3 * time.Hour)
	fromRollups := read(now)
	restore := storage.ReadHourlyFromMinutes()
	defer restore()
	if fromMinutes := read(now); fromRollups != fromMinutes {
		t.Errorf("packed, from the rollups:\n%s\nfrom the minute points:\n%s", fromRollups, fromMinutes)
	}
}
