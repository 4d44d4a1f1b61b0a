package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// chartRanges are the lag chart's ranges and buckets (internal/http/group.go), and one
// longer than the retention of minute points, which reads the hourly rollup.
var chartRanges = []struct {
	name       string
	span, step time.Duration
}{
	{"1h", time.Hour, time.Minute},
	{"6h", 6 * time.Hour, time.Minute},
	{"24h", 24 * time.Hour, 2 * time.Minute},
	{"7d", 7 * 24 * time.Hour, 10 * time.Minute},
	{"30d", 30 * 24 * time.Hour, time.Hour},
	{"90d", 90 * 24 * time.Hour, 6 * time.Hour},
}

// TestLagHistoryStartsAtTheFirstObservation: a group first seen in the middle of an hour
// has no value in any chart range before that moment, whether the range is read after the
// hour was rolled up, after the next one was, or after the hour's minute points expired and
// only the rollup remains. The rollup records when its values were seen.
func TestLagHistoryStartsAtTheFirstObservation(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	// Lagboard starts at 03:46; the group's first point is taken at 03:49:12.5, with 120
	// messages waiting, 30 s old.
	first := time.Date(2026, 3, 2, 3, 49, 12, 500_000_000, time.UTC)
	for _, at := range []time.Time{first, first.Add(72 * time.Hour)} {
		if err := storage.EnsurePartitions(ctx, pool, at); err != nil {
			t.Fatal(err)
		}
	}
	gk := storage.GroupKey{ClusterID: c.ID, Group: "orders"}
	ids, err := storage.TopicSeriesIDs(ctx, pool, c.ID, []storage.TopicKey{{Group: "orders", Topic: "payments"}})
	if err != nil {
		t.Fatal(err)
	}
	id := ids[storage.TopicKey{Group: "orders", Topic: "payments"}]
	var pts []storage.TopicPoint
	// A point a minute until 04:30, the lag rising and falling, as the poller stores them.
	for m := range 41 {
		lag := int64(120 + (m%7)*3)
		secs := float64(30 + m*2)
		pts = append(pts, storage.TopicPoint{SeriesID: id, At: first.Add(time.Duration(m) * time.Minute),
			MaxOffset: 1000 + int64(m)*10 + lag, ConsumerOffset: 1000 + int64(m)*10, Lag: lag, LagSeconds: &secs})
	}
	if err := storage.SaveCycle(ctx, pool, storage.Cycle{ClusterID: c.ID, At: first, TopicPoints: pts}); err != nil {
		t.Fatal(err)
	}

	// check reads every range at now; where minute points are gone only the longest range,
	// which reads the rollups, must have points.
	check := func(t *testing.T, now time.Time, rollupsOnly bool) {
		t.Helper()
		for _, r := range chartRanges {
			to := now.Truncate(r.step).Add(r.step)
			from := to.Add(-r.span)
			h, err := storage.LagHistory(ctx, pool, []storage.GroupKey{gk}, from, to, r.step, now)
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, p := range h[gk] {
				if p.Lag == nil && p.Seconds == nil {
					continue
				}
				seen++
				if p.At.Before(first) {
					t.Errorf("range %s at %s: a point at %s (lag %v, age %v) before the first observation at %s",
						r.name, now.Format("15:04:05"), p.At.Format(time.RFC3339Nano), deref(p.Lag), deref(p.Seconds), first.Format(time.RFC3339Nano))
				}
			}
			if seen == 0 && (!rollupsOnly || r.name == "90d") {
				t.Errorf("range %s at %s: no point at all", r.name, now.Format("15:04:05"))
			}
		}
	}

	// 04:00: the poller rolls up 03:00-04:00.
	if _, err := storage.RollupHours(ctx, pool, first.Add(-48*time.Hour), time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	hours, err := storage.HourlyPoints(ctx, pool, id, time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC))
	if err != nil || len(hours) != 1 {
		t.Fatalf("hourly points of 03:00: %+v, %v; want one", hours, err)
	}
	firstAt, lastAt, lastLag := hours[0].FirstAt, hours[0].LastAt, hours[0].LastLag
	if last := pts[10]; !firstAt.Equal(first) || !lastAt.Equal(last.At) || lastLag != last.Lag {
		t.Fatalf("rollup of 03:00: first %s last %s lag %d; want the points at %s and %s, lag %d",
			firstAt, lastAt, lastLag, first, last.At, last.Lag)
	}
	for _, now := range []time.Time{
		time.Date(2026, 3, 2, 3, 49, 40, 0, time.UTC), // before the rollup, in the first minute
		time.Date(2026, 3, 2, 4, 5, 30, 0, time.UTC),  // after it: the reported case
		time.Date(2026, 3, 2, 4, 49, 0, 0, time.UTC),
	} {
		t.Run(now.Format("15:04:05"), func(t *testing.T) { check(t, now, false) })
	}

	// 05:00: the next hour is rolled up too.
	if _, err := storage.RollupHours(ctx, pool, first.Add(-48*time.Hour), time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	t.Run("after the next rollup", func(t *testing.T) { check(t, time.Date(2026, 3, 2, 5, 10, 0, 0, time.UTC), false) })

	// Later the minute points expire; the rollups alone carry the history.
	if _, err := pool.Exec(ctx, `DELETE FROM topic_minute WHERE series_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{time.Date(2026, 3, 2, 5, 10, 0, 0, time.UTC), time.Date(2026, 3, 4, 3, 30, 0, 0, time.UTC)} {
		t.Run(fmt.Sprintf("rollups only at %s", now.Format("Jan 2 15:04")), func(t *testing.T) { check(t, now, true) })
	}
}
