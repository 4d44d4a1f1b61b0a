package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestLagHistoryCarriesSparsePoints: history is stored only when it changes, so buckets
// without a point carry the value before them, a flat stretch's age grows with the clock,
// the retry topic counts in the lag but not in the age, and unknown stays unknown.
func TestLagHistoryCarriesSparsePoints(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	if err := storage.EnsurePartitions(ctx, pool, from); err != nil {
		t.Fatal(err)
	}
	if err := storage.EnsurePartitions(ctx, pool, time.Now()); err != nil {
		t.Fatal(err)
	}
	keys := []storage.TopicKey{{Group: "g", Topic: "t"}, {Group: "g", Topic: "%RETRY%g"}, {Group: "u", Topic: "t"}}
	ids, err := storage.TopicSeriesIDs(ctx, pool, c.ID, keys)
	if err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	at := func(m int) time.Time { return from.Add(time.Duration(m) * time.Minute) }
	pt := func(k storage.TopicKey, m int, lag int64, secs *float64) storage.TopicPoint {
		return storage.TopicPoint{SeriesID: ids[k], At: at(m), MaxOffset: 100 + lag, ConsumerOffset: 100, Lag: lag, LagSeconds: secs}
	}
	cy := storage.Cycle{ClusterID: c.ID, At: at(10), TopicPoints: []storage.TopicPoint{
		pt(keys[0], -5, 40, f(30)), // before the window: starts the carry
		pt(keys[0], 2, 50, f(60)),
		pt(keys[0], 5, 50, nil), // end of a flat stretch: same oldest message
		pt(keys[1], 3, 7, f(9999)),
		pt(keys[2], 1, 10, nil), // lag in time unknown
	}}
	if err := storage.SaveCycle(ctx, pool, cy); err != nil {
		t.Fatal(err)
	}
	gk, uk := storage.GroupKey{ClusterID: c.ID, Group: "g"}, storage.GroupKey{ClusterID: c.ID, Group: "u"}
	h, err := storage.LagHistory(ctx, pool, []storage.GroupKey{gk, uk, {ClusterID: c.ID, Group: "none"}}, at(0), at(8), time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		lag  int64
		secs float64 // -1: unknown
	}
	// A bucket with points shows the highest of them; a bucket without carries the last
	// value to its end.
	wants := []want{
		{40, 30 + 6*60}, // carried from 5 min before the window, to the bucket's end
		{40, 30 + 7*60},
		{50, 60},
		{57, 60 + 2*60}, // the retry topic adds to the lag, not the age
		{57, 60 + 3*60},
		{57, 60 + 3*60}, // the stretch end carries the same oldest message on
		{57, 60 + 5*60},
		{57, 60 + 6*60},
	}
	g := h[gk]
	if len(g) != len(wants) {
		t.Fatalf("%d points, want %d", len(g), len(wants))
	}
	for i, w := range wants {
		p := g[i]
		if p.Lag == nil || *p.Lag != w.lag || p.Seconds == nil || *p.Seconds != w.secs {
			t.Errorf("minute %d: lag %v secs %v, want %d and %v", i, deref(p.Lag), deref(p.Seconds), w.lag, w.secs)
		}
	}
	u := h[uk]
	if u[0].Lag != nil || u[1].Lag == nil || *u[1].Lag != 10 || u[1].Seconds != nil || u[7].Seconds != nil {
		t.Errorf("group u: %+v", u[:2])
	}
	if _, ok := h[storage.GroupKey{ClusterID: c.ID, Group: "none"}]; ok {
		t.Error("a group without history has points")
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
