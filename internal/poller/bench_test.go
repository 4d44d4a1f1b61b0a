package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/demo"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// BenchmarkPollCycle1000Groups measures one full cycle over 1,000 groups of 8 queues each
// (8,000 queues) on the real broker, stored in Postgres. Every cycle writes every queue's
// latest state; history rows only for what changed (here: the first cycle).
func BenchmarkPollCycle1000Groups(b *testing.B) { benchCycle(b, nil) }

// BenchmarkPollCycle1000GroupsDerived is the same cycle with every group's progress derived
// from the broker's offset table and topic stats instead of GET_BROKER_CONSUME_STATS, as
// brokers with more than Config.DeriveAbove groups are read.
func BenchmarkPollCycle1000GroupsDerived(b *testing.B) {
	benchCycle(b, func(c *poller.Config) { c.DeriveAbove = -1 })
}

func benchCycle(b *testing.B, configure func(*poller.Config)) {
	version := stacktest.Versions(b)[0]
	f := newFixture(b, version)
	f.configure = configure
	f.poller = f.newPoller(f.db.(*pgxpool.Pool))
	pop := demo.Population{Prefix: stacktest.Name(b, "bench"), Groups: 1000, Topics: 100, Queues: 8}
	start := time.Now()
	if err := demo.Populate(context.Background(), f.admin, f.rmq.BrokerAddr, pop); err != nil {
		b.Fatal(err)
	}
	b.Logf("populated %d groups × %d queues in %s", pop.Groups, pop.Queues, time.Since(start).Round(time.Millisecond))
	rep := f.poll(b) // warm up: series ids, first history points, connections
	if rep.Groups < pop.Groups || rep.Queues < pop.Groups*pop.Queues {
		b.Fatalf("cycle saw %d groups and %d queues, want at least %d and %d", rep.Groups, rep.Queues, pop.Groups, pop.Groups*pop.Queues)
	}
	var fetch, store time.Duration
	for b.Loop() {
		f.advance(10 * time.Second)
		rep = f.poll(b)
		fetch, store = fetch+rep.Fetch, store+rep.Store
	}
	b.ReportMetric(float64(fetch.Milliseconds())/float64(b.N), "fetch-ms/cycle")
	b.ReportMetric(float64(store.Milliseconds())/float64(b.N), "store-ms/cycle")
	var requests int
	for _, n := range rep.Requests {
		requests += n
	}
	b.ReportMetric(float64(rep.Queues), "queues/cycle")
	b.ReportMetric(float64(requests), "requests/cycle")
	b.Logf("requests of the last cycle: %v; time they took, summed: %v", rep.Requests, rep.RequestTime)
}

// BenchmarkCopyQueueSamples measures ingesting history rows with COPY.
func BenchmarkCopyQueueSamples(b *testing.B) {
	ctx := context.Background()
	pool := stacktest.DB(b)
	c, err := storage.UpsertCluster(ctx, pool, "bench", []string{"127.0.0.1:9876"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	if err := storage.EnsurePartitions(ctx, pool, now); err != nil {
		b.Fatal(err)
	}
	const rows = 100_000
	samples := make([]storage.QueueSample, rows)
	for i := range samples {
		samples[i] = storage.QueueSample{SeriesID: int32(i % 8000), At: now.Add(time.Duration(i) * time.Millisecond),
			MaxOffset: int64(i) * 3, ConsumerOffset: int64(i) * 2}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := storage.SaveCycle(ctx, pool, storage.Cycle{ClusterID: c.ID, At: now, QueueSamples: samples}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkHistoryBytesPerRow measures the on-disk size, indexes included, of history rows
// as the poller writes them, for the storage-per-day estimate in docs/BENCHMARKS.md.
func BenchmarkHistoryBytesPerRow(b *testing.B) {
	ctx := context.Background()
	pool := stacktest.DB(b)
	c, err := storage.UpsertCluster(ctx, pool, "bench", []string{"127.0.0.1:9876"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().Truncate(24 * time.Hour).Add(time.Hour)
	if err := storage.EnsurePartitions(ctx, pool, now); err != nil {
		b.Fatal(err)
	}
	const rows = 200_000
	samples := make([]storage.QueueSample, rows)
	points := make([]storage.TopicPoint, rows)
	secs, tps := 12.5, 40.0
	for i := range rows {
		at := now.Add(time.Duration(i/8000) * 10 * time.Second)
		samples[i] = storage.QueueSample{SeriesID: int32(i % 8000), At: at, MaxOffset: 1e9 + int64(i), ConsumerOffset: 1e9 + int64(i) - 50}
		points[i] = storage.TopicPoint{SeriesID: int32(i % 1000), At: now.Add(time.Duration(i/1000) * time.Minute / 100),
			MaxOffset: 8e9 + int64(i), ConsumerOffset: 8e9 + int64(i) - 400, Lag: 400, LagSeconds: &secs, ConsumeTPS: &tps}
	}
	if err := storage.SaveCycle(ctx, pool, storage.Cycle{ClusterID: c.ID, At: now, QueueSamples: samples, TopicPoints: points}); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE queue_sample, topic_minute"); err != nil {
		b.Fatal(err)
	}
	size := func(table string) float64 {
		var n int64
		if err := pool.QueryRow(ctx, `
			SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i
			JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`, table).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return float64(n) / rows
	}
	qs, tm := size("queue_sample"), size("topic_minute")
	for b.Loop() { // the measurement is the setup; b.Loop clears metrics reported before it
	}
	b.ReportMetric(qs, "queue_sample_B/row")
	b.ReportMetric(tm, "topic_minute_B/row")
}
