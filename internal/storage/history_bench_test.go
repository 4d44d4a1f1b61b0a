package storage_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

var (
	benchHours = flag.Int("history.hours", 3, "BenchmarkHistoryWorstCase: hours of full cycles (every queue) to write")
	benchDays  = flag.Int("history.days", 2, "BenchmarkHistoryWorstCase: days of minute points (every topic) to write after them")
)

// fleet is the worst case of docs/BENCHMARKS.md: 1,000 groups of 8 queues, every queue
// moving every cycle, and each group's topic and retry topic moving every minute (2,000
// topic series: an upper bound, retry topics are usually idle).
type fleet struct {
	rng      *rand.Rand
	queues   []int32 // 8 per group, group-major
	topics   []int32 // topic and retry topic per group
	rate     []int64 // messages a second, per queue
	max, lag []int64
	tmax     []int64 // per topic series
	tlag     []int64
	groups   []storage.GroupKey
}

const (
	fleetGroups = 1000
	fleetQueues = 8
)

func newFleet(b *testing.B, pool *pgxpool.Pool, cluster int64) *fleet {
	ctx := context.Background()
	f := &fleet{rng: rand.New(rand.NewPCG(1, 2))}
	var qk []storage.QueueKey
	var tk []storage.TopicKey
	for g := range fleetGroups {
		name := fmt.Sprintf("group-%04d", g)
		f.groups = append(f.groups, storage.GroupKey{ClusterID: cluster, Group: name})
		for q := range fleetQueues {
			qk = append(qk, storage.QueueKey{Group: name, Topic: "topic-" + name, Broker: "broker-a", QueueID: int32(q)})
		}
		tk = append(tk, storage.TopicKey{Group: name, Topic: "topic-" + name}, storage.TopicKey{Group: name, Topic: "%RETRY%" + name})
	}
	qids, err := storage.QueueSeriesIDs(ctx, pool, cluster, qk)
	if err != nil {
		b.Fatal(err)
	}
	tids, err := storage.TopicSeriesIDs(ctx, pool, cluster, tk)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range qk {
		f.queues = append(f.queues, qids[k])
		r := 1 + f.rng.Int64N(500)
		f.rate = append(f.rate, r)
		f.max = append(f.max, 1e9+f.rng.Int64N(1e9))
		f.lag = append(f.lag, f.rng.Int64N(20*r))
	}
	for _, k := range tk {
		f.topics = append(f.topics, tids[k])
		f.tmax = append(f.tmax, 1e10+f.rng.Int64N(1e9))
		f.tlag = append(f.tlag, f.rng.Int64N(1000))
	}
	return f
}

// samples moves every queue by one poll: messages written at its rate give or take half,
// the group consuming most of them, its backlog wandering.
func (f *fleet) samples(at time.Time, out []storage.QueueSample) []storage.QueueSample {
	out = out[:0]
	for i, id := range f.queues {
		r := f.rate[i] * 10
		f.max[i] += r/2 + 1 + f.rng.Int64N(r+1)
		f.lag[i] = max(0, f.lag[i]+f.rng.Int64N(r+1)-r/2)
		out = append(out, storage.QueueSample{SeriesID: id, At: at, MaxOffset: f.max[i], ConsumerOffset: f.max[i] - f.lag[i] - 1})
	}
	return out
}

// points moves every topic by one minute.
func (f *fleet) points(at time.Time, out []storage.TopicPoint) []storage.TopicPoint {
	return f.pointsOf(len(f.topics), at, out[:0])
}

// pointsOf appends a minute of the first n topics to out.
func (f *fleet) pointsOf(n int, at time.Time, out []storage.TopicPoint) []storage.TopicPoint {
	for i, id := range f.topics[:n] {
		f.tmax[i] += 100 + f.rng.Int64N(60_000)
		f.tlag[i] = max(0, f.tlag[i]+f.rng.Int64N(2001)-1000)
		secs := f.rng.Float64() * 600
		tps := f.rng.Float64() * 4000
		out = append(out, storage.TopicPoint{SeriesID: id, At: at, MaxOffset: f.tmax[i], ConsumerOffset: f.tmax[i] - f.tlag[i],
			Lag: f.tlag[i], LagSeconds: &secs, ConsumeTPS: &tps})
	}
	return out
}

// sizes returns each history table's size on disk, partitions, TOAST and indexes included.
func sizes(b *testing.B, pool *pgxpool.Pool) map[string]int64 {
	out := map[string]int64{}
	for _, t := range []string{"queue_sample", "topic_minute", "topic_hour", "queue_chunk", "topic_chunk", "topic_day"} {
		var n int64
		if err := pool.QueryRow(context.Background(), `
			SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i
			JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`, t).Scan(&n); err != nil {
			b.Fatal(err)
		}
		out[t] = n
	}
	for _, t := range []string{"queue_series", "topic_series", "history_compaction"} {
		var n int64
		if err := pool.QueryRow(context.Background(), `SELECT pg_total_relation_size($1::regclass)`, t).Scan(&n); err != nil {
			b.Fatal(err)
		}
		out[t] = n
	}
	return out
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

const gb = 1e9

// BenchmarkHistoryWorstCase writes the worst case through the real write path (SaveCycle,
// with compaction batches between cycles as the Compactor runs them) and measures what it
// costs on disk, then extrapolates each table to its retention; it also times ingest, the
// write-time lookup of every queue, and the page reads on that data. The measurement is
// the setup: run it with -benchtime 1x.
//
//	go test -run '^$' -bench BenchmarkHistoryWorstCase -benchtime 1x -timeout 60m ./internal/storage/ [-args -history.hours 3 -history.days 2]
func BenchmarkHistoryWorstCase(b *testing.B) {
	ctx := context.Background()
	pool := stacktest.DB(b)
	c, err := storage.UpsertCluster(ctx, pool, "bench", []string{"127.0.0.1:9876"})
	if err != nil {
		b.Fatal(err)
	}
	f := newFleet(b, pool, c.ID)
	start := time.Date(2026, 3, 1, 0, 0, 3, 0, time.UTC)
	var (
		ingest, batches []time.Duration
		rawPeak         int64
		hour            time.Time
		qs              []storage.QueueSample
		ps              []storage.TopicPoint
		minute          time.Time
	)
	compact := func(now time.Time) {
		t0 := time.Now()
		res, err := storage.CompactHistory(ctx, pool, now, storage.DefaultRetention, 20_000)
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows > 0 {
			batches = append(batches, time.Since(t0))
		}
	}
	cycle := func(at time.Time, withQueues bool) {
		if h := at.Truncate(time.Hour); h != hour {
			hour = h
			if err := storage.EnsurePartitions(ctx, pool, at); err != nil {
				b.Fatal(err)
			}
		}
		cy := storage.Cycle{ClusterID: c.ID, At: at}
		if withQueues {
			qs = f.samples(at, qs)
			cy.QueueSamples = qs
		}
		if m := at.Truncate(time.Minute); m != minute {
			minute = m
			ps = f.points(at, ps)
			cy.TopicPoints = ps
		}
		t0 := time.Now()
		if err := storage.SaveCycle(ctx, pool, cy); err != nil {
			b.Fatal(err)
		}
		if withQueues {
			ingest = append(ingest, time.Since(t0))
		}
		compact(at)
		if at.Minute()%10 == 0 && at.Second() < 10 {
			s := sizes(b, pool)
			rawPeak = max(rawPeak, s["queue_sample"]+s["topic_minute"])
		}
	}
	// Polls start up to 30 ms late, by a different amount each time.
	jitter := func() time.Duration { return time.Duration(f.rng.IntN(30_000)) * time.Microsecond }

	// Phase 1: full cycles every 10 s.
	t0 := time.Now()
	at := start
	cycles := *benchHours * 360
	for i := range cycles {
		at = start.Add(time.Duration(i)*10*time.Second + jitter())
		cycle(at, true)
	}
	b.Logf("%d cycles of %d queue samples in %s (SaveCycle p50 %s, p99 %s, max %s)", cycles, len(f.queues),
		time.Since(t0).Round(time.Second), percentile(ingest, .5), percentile(ingest, .99), percentile(ingest, 1))

	// When was every queue's oldest waiting message written: the lookup the poller makes
	// for every queue behind, on single and packed rows alike.
	var oq []storage.OffsetQuery
	for i, id := range f.queues {
		oq = append(oq, storage.OffsetQuery{SeriesID: id, Offset: f.max[i] - f.lag[i] - 1 - int64(i%7)*f.rate[i]*600})
	}
	var lookups []time.Duration
	for range 5 {
		t1 := time.Now()
		br, err := storage.WriteTimeBrackets(ctx, pool, oq)
		if err != nil {
			b.Fatal(err)
		}
		lookups = append(lookups, time.Since(t1))
		if len(br) != len(oq) {
			b.Fatalf("%d brackets for %d queues", len(br), len(oq))
		}
	}
	b.Logf("write-time lookup of all %d queues: p50 %s, max %s", len(oq), percentile(lookups, .5), percentile(lookups, 1))

	// Phase 2: minute points of every topic, a cycle a minute.
	t0 = time.Now()
	base := at.Truncate(time.Minute).Add(time.Minute)
	for i := range *benchDays * 1440 {
		at = base.Add(time.Duration(i)*time.Minute + jitter())
		cycle(at, false)
	}
	b.Logf("%d minute cycles of %d topic points in %s", *benchDays*1440, len(f.topics), time.Since(t0).Round(time.Second))
	end := at
	// Pack what is complete, as the Compactor would by now.
	for {
		res, err := storage.CompactHistory(ctx, pool, end, storage.DefaultRetention, 20_000)
		if err != nil {
			b.Fatal(err)
		}
		if !res.More {
			break
		}
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	s := sizes(b, pool)
	queueHours := float64(*benchHours)
	topicHours := float64(*benchHours) + float64(*benchDays)*24
	var packedQueueHours, packedTopicHours, packedHourPoints float64
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT hour) FROM queue_chunk`).Scan(&packedQueueHours); err != nil {
		b.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT hour) FROM topic_chunk`).Scan(&packedTopicHours); err != nil {
		b.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT sum(n) FROM topic_day`).Scan(&packedHourPoints); err != nil {
		b.Fatal(err)
	}
	b.Logf("written: %.0f h of queue samples (%.0f h packed), %.0f h of minute points (%.0f h packed), %.0f hourly points",
		queueHours, packedQueueHours, topicHours, packedTopicHours, packedHourPoints)
	for t, n := range s {
		b.Logf("%-20s %10.1f MB", t, float64(n)/1e6)
	}
	perQueueHour := float64(s["queue_chunk"]) / packedQueueHours
	perTopicHour := float64(s["topic_chunk"]) / packedTopicHours
	perHourPoint := float64(s["topic_day"]) / packedHourPoints
	series := float64(len(f.topics))
	// At the worst moment, just before a partition is dropped: 48 h of queue samples in
	// daily partitions is up to 72 h on disk, 30 days of minute points up to 31, 400 days of
	// hourly points in monthly partitions up to 431.
	queue72 := perQueueHour * 72
	minute31 := perTopicHour * 24 * 31
	hour431 := perHourPoint * series * 24 * 431
	fixed := float64(s["queue_series"] + s["topic_series"] + s["history_compaction"])
	total := queue72 + minute31 + hour431 + float64(rawPeak) + fixed
	b.Logf("per packed hour: queue samples %.1f MB (%.2f B a sample), minute points %.2f MB (%.1f B a point); %.1f B an hourly point",
		perQueueHour/1e6, perQueueHour/float64(len(f.queues)*360), perTopicHour/1e6, perTopicHour/series/60, perHourPoint)
	b.Logf("extrapolated: queue samples 48 h %.2f GB (72 h on disk at worst %.2f GB), minute points 31 d %.2f GB, hourly points 431 d %.2f GB, single rows at their peak %.2f GB, series %.3f GB: total %.2f GB",
		perQueueHour*48/gb, queue72/gb, minute31/gb, hour431/gb, float64(rawPeak)/gb, fixed/gb, total/gb)
	b.Logf("compaction batches (≤ 20,000 rows): %d, p50 %s, p99 %s", len(batches), percentile(batches, .5), percentile(batches, .99))

	// Page reads on this data: a group's 30-day chart needs 30 days, written for 100 groups
	// before the benchmark's start (an hour at a time, straight into packed rows).
	t0 = time.Now()
	readers := f.groups[:100]
	var old []storage.TopicPoint
	from := end.Add(-31 * 24 * time.Hour).Truncate(time.Hour)
	for h := from; h.Before(start.Truncate(time.Hour)); h = h.Add(time.Hour) {
		old = old[:0]
		for m := range 60 {
			old = f.pointsOf(2*len(readers), h.Add(time.Duration(m)*time.Minute+7*time.Second), old)
		}
		if err := storage.SaveCycle(ctx, pool, storage.Cycle{ClusterID: c.ID, At: h.Add(2 * time.Hour), TopicPoints: old}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("30 days for 100 groups written in %s", time.Since(t0).Round(time.Second))
	read := func(name string, keys func(i int) []storage.GroupKey, span, step time.Duration, n int) (time.Duration, time.Duration) {
		var d []time.Duration
		now := end
		to := now.Truncate(step).Add(step)
		for i := range n {
			t1 := time.Now()
			h, err := storage.LagHistory(ctx, pool, keys(i), to.Add(-span), to, step, now)
			if err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(t1))
			if len(h) == 0 {
				b.Fatalf("%s: no history", name)
			}
		}
		b.Logf("%s: p50 %s, p99 %s (%d reads)", name, percentile(d, .5), percentile(d, .99), n)
		return percentile(d, .5), percentile(d, .99)
	}
	_, p99chart := read("group chart, 30 d", func(i int) []storage.GroupKey { return readers[i%len(readers) : i%len(readers)+1] },
		30*24*time.Hour, time.Hour, 200)
	read("group chart, 90 d", func(i int) []storage.GroupKey { return readers[i%len(readers) : i%len(readers)+1] },
		90*24*time.Hour, 6*time.Hour, 200)
	_, p99spark := read("groups page sparklines, 100 groups, 1 h", func(i int) []storage.GroupKey {
		o := (i * 100) % len(f.groups)
		return f.groups[o : o+100]
	}, time.Hour, time.Minute, 200)

	for b.Loop() { // the measurement is the setup; b.Loop clears metrics reported before it
	}
	b.ReportMetric(total/gb, "total-GB")
	b.ReportMetric(perQueueHour*48/gb, "queue-48h-GB")
	b.ReportMetric(minute31/gb, "minute-31d-GB")
	b.ReportMetric(hour431/gb, "hour-431d-GB")
	b.ReportMetric(float64(rawPeak)/gb, "rows-peak-GB")
	b.ReportMetric(float64(percentile(ingest, .99).Microseconds())/1000, "ingest-p99-ms")
	b.ReportMetric(float64(p99chart.Microseconds())/1000, "chart30d-p99-ms")
	b.ReportMetric(float64(p99spark.Microseconds())/1000, "spark100-p99-ms")
}
