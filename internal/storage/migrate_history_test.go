package storage_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/migrations"
)

// TestMigrationCarriesHistoryOver: a database written before migration 0016, in the cuts of
// the time (daily queue samples, monthly minute points, yearly hourly rollups, the next
// period's partitions made ahead), keeps its history: after the migration it reads as
// before, writes go on, and once compaction has packed it, it still reads the same. Only the
// empty partitions made ahead are dropped.
func TestMigrationCarriesHistoryOver(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(stacktest.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	// A schema of its own, migrated only up to 0015.
	cfg.ConnConfig.RuntimeParams["search_path"] = "before16"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE SCHEMA before16`); err != nil {
		t.Fatal(err)
	}
	migs, err := storage.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	i16 := slices.IndexFunc(migs, func(m storage.Migration) bool { return m.Name == "compact_history" })
	if i16 < 0 {
		t.Fatal("no compact_history migration")
	}
	if _, err := storage.Migrate(ctx, pool, migs[:i16]); err != nil {
		t.Fatal(err)
	}

	now := time.Now().UTC().Truncate(time.Second)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	part := func(table, suffix string, from, to time.Time) {
		exec(fmt.Sprintf(`CREATE TABLE %s_p%s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`, table, suffix, table,
			from.Format(time.RFC3339), to.Format(time.RFC3339)))
	}
	// The partitions the poller made before 0016, ahead ones included.
	for d := -1; d <= 1; d++ {
		from := today.AddDate(0, 0, d)
		part("queue_sample", from.Format("20060102"), from, from.AddDate(0, 0, 1))
	}
	for m := -3; m <= 1; m++ {
		from := thisMonth.AddDate(0, m, 0)
		part("topic_minute", from.Format("200601"), from, from.AddDate(0, 1, 0))
	}
	for y := now.Year() - 1; y <= now.Year()+1; y++ {
		from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		part("topic_hour", from.Format("2006"), from, from.AddDate(1, 0, 0))
	}

	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	qk := storage.QueueKey{Group: "orders", Topic: "payments", Broker: "broker-a", QueueID: 0}
	qids, err := storage.QueueSeriesIDs(ctx, pool, c.ID, []storage.QueueKey{qk})
	if err != nil {
		t.Fatal(err)
	}
	queue := qids[qk]
	tk := storage.TopicKey{Group: "orders", Topic: "payments"}
	tids, err := storage.TopicSeriesIDs(ctx, pool, c.ID, []storage.TopicKey{tk})
	if err != nil {
		t.Fatal(err)
	}
	topic := tids[tk]
	// Queue samples every 10 minutes since yesterday; minute points every 10 minutes for 40
	// days, rolled up hour by hour as the poller did; and hourly rollups older than any
	// minute point kept, made at the end of their hour (migration 0011).
	var samples [][]any
	var maxes []int64
	for at, i := today.AddDate(0, 0, -1).Add(7*time.Second), int64(0); at.Before(now); at, i = at.Add(10*time.Minute), i+1 {
		mx := 5_000 + i*i%977 + i*40
		maxes = append(maxes, mx)
		samples = append(samples, []any{queue, at, mx, mx - i%17})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"queue_sample"}, []string{"series_id", "at", "max_offset", "consumer_offset"}, pgx.CopyFromRows(samples)); err != nil {
		t.Fatal(err)
	}
	var points [][]any
	for at, i := now.Add(-40*24*time.Hour).Truncate(time.Minute).Add(3*time.Second), int64(0); at.Before(now); at, i = at.Add(10*time.Minute), i+1 {
		lag := i % 29 * 3
		var secs *float64
		if i%4 != 0 {
			v := float64(i%31) + 0.25
			secs = &v
		}
		points = append(points, []any{topic, at, 100_000 + i*50 + lag, 100_000 + i*50, lag, secs, 12.5})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"topic_minute"},
		[]string{"series_id", "at", "max_offset", "consumer_offset", "lag", "lag_seconds", "consume_tps"}, pgx.CopyFromRows(points)); err != nil {
		t.Fatal(err)
	}
	exec(`
		INSERT INTO topic_hour (series_id, at, first_at, last_at, max_offset, consumer_offset, lag, lag_seconds, last_lag, last_lag_seconds, consume_tps)
		SELECT series_id, date_trunc('hour', at, 'UTC'), min(at), max(at),
		       (array_agg(max_offset ORDER BY at DESC))[1], (array_agg(consumer_offset ORDER BY at DESC))[1],
		       max(lag), max(lag_seconds), (array_agg(lag ORDER BY at DESC))[1], (array_agg(lag_seconds ORDER BY at DESC))[1],
		       avg(consume_tps)
		FROM topic_minute WHERE at < date_trunc('hour', $1::timestamptz, 'UTC')
		GROUP BY series_id, date_trunc('hour', at, 'UTC')`, now)
	exec(`
		INSERT INTO topic_hour (series_id, at, first_at, last_at, max_offset, consumer_offset, lag, last_lag)
		SELECT $1, h, h + interval '1 hour', h + interval '1 hour', 90000 + n, 90000, n, n
		FROM generate_series(date_trunc('hour', $2::timestamptz - interval '60 days', 'UTC'),
		                     $2::timestamptz - interval '50 days', interval '1 hour') WITH ORDINALITY AS g(h, n)`, topic, now)

	if _, err := storage.Migrate(ctx, pool, migs); err != nil {
		t.Fatal(err)
	}
	gone := map[string]bool{
		"queue_sample_p" + today.AddDate(0, 0, 1).Format("20060102"):   true,
		"topic_minute_p" + thisMonth.AddDate(0, 1, 0).Format("200601"): true,
		"topic_hour_p" + fmt.Sprint(now.Year()+1):                      true,
	}
	for _, table := range []string{"queue_sample", "topic_minute", "topic_hour"} {
		for _, name := range partitionNames(t, pool, table) {
			if gone[name] {
				t.Errorf("%s, empty and ahead, was kept", name)
			}
			delete(gone, name)
		}
	}
	for name := range gone {
		t.Logf("dropped %s", name)
	}
	if len(partitionNames(t, pool, "queue_sample")) != 2 || len(partitionNames(t, pool, "topic_minute")) != 4 || len(partitionNames(t, pool, "topic_hour")) != 2 {
		t.Fatalf("partitions with history were dropped: %v %v %v", partitionNames(t, pool, "queue_sample"),
			partitionNames(t, pool, "topic_minute"), partitionNames(t, pool, "topic_hour"))
	}

	// Writes go on, into the partitions of the old cut that hold today.
	if err := storage.EnsurePartitions(ctx, pool, now); err != nil {
		t.Fatal(err)
	}
	if err := storage.SaveCycle(ctx, pool, storage.Cycle{ClusterID: c.ID, At: now.Add(time.Minute),
		QueueSamples: []storage.QueueSample{{SeriesID: queue, At: now.Add(time.Minute), MaxOffset: 1 << 40, ConsumerOffset: 1 << 40}}}); err != nil {
		t.Fatal(err)
	}
	h := history{cluster: c.ID, groups: []storage.GroupKey{{ClusterID: c.ID, Group: "orders"}}, queues: []int32{queue},
		maxes: map[int32][]int64{queue: maxes}, start: now.Add(-40 * 24 * time.Hour)}
	before := h.reads(t, pool, now)
	if got := before[fmt.Sprintf("lag 90d orders from %s", now.Truncate(6*time.Hour).Add(6*time.Hour).Add(-90*24*time.Hour).Format(time.RFC3339))]; got == "" {
		t.Fatalf("the 90-day chart reads nothing of the hourly rollups; reads: %v", before)
	}

	// Two days on, every partition of single rows is complete and is packed, with a
	// retention long enough to keep all of it.
	keep := storage.Retention{QueueSamples: 10 * 24 * time.Hour, TopicMinutes: 90 * 24 * time.Hour, TopicHours: 400 * 24 * time.Hour}
	for range 1000 {
		res, err := storage.CompactHistory(ctx, pool, now.Add(48*time.Hour), keep, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			break
		}
	}
	// What is left of the old cuts is this month's minute points, still being written to
	// until the month ends (hourly partitions made since may stay too).
	var left []string
	for _, table := range []string{"queue_sample", "topic_minute", "topic_hour"} {
		for _, name := range partitionNames(t, pool, table) {
			if p, _ := time.Parse("2006010215", name[len(table)+2:]); p.IsZero() {
				left = append(left, name)
			}
		}
	}
	if want := []string{"topic_minute_p" + thisMonth.Format("200601")}; !slices.Equal(left, want) {
		t.Errorf("partitions of the old cuts left: %v, want %v", left, want)
	}
	diffReads(t, before, h.reads(t, pool, now))
}
