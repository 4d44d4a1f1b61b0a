package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestCompactorPacksWrittenHours: a round packs every hour of single rows that no cycle
// can write into any more, in batches, and leaves the current hour alone.
func TestCompactorPacksWrittenHours(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(ctx, pool, "local", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	keys := []storage.QueueKey{{Group: "g", Topic: "t", Broker: "b", QueueID: 0}, {Group: "g", Topic: "t", Broker: "b", QueueID: 1}}
	ids, err := storage.QueueSeriesIDs(ctx, pool, c.ID, keys)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	end := start.Add(150 * time.Minute)
	written := 0
	for at := start; at.Before(end); at = at.Add(10 * time.Second) {
		if at.Minute() == 0 && at.Second() == 0 {
			if err := storage.EnsurePartitions(ctx, pool, at); err != nil {
				t.Fatal(err)
			}
		}
		n := int64(at.Sub(start) / time.Second)
		cy := storage.Cycle{ClusterID: c.ID, At: at}
		for _, k := range keys {
			cy.QueueSamples = append(cy.QueueSamples, storage.QueueSample{SeriesID: ids[k], At: at, MaxOffset: 100 + n, ConsumerOffset: 90 + n})
			written++
		}
		if err := storage.SaveCycle(ctx, pool, cy); err != nil {
			t.Fatal(err)
		}
	}
	now := end
	cp := poller.NewCompactor(poller.CompactorConfig{Pool: pool, BatchRows: 1000, Now: func() time.Time { return now }})
	// At 11:30, 09:00 and 10:00 are packed; 11:00 is still written to.
	if n := cp.Round(ctx); n < 2 {
		t.Fatalf("%d batches, want at least one per hour packed", n)
	}
	var packed, left int
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM queue_chunk`).Scan(&packed); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM queue_sample`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if packed != 2*360*2 || left != written-packed {
		t.Errorf("packed %d samples, %d left as rows; want 1440 packed, %d left", packed, left, written-1440)
	}
	// An hour later, the rest.
	now = end.Add(time.Hour)
	cp.Round(ctx)
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM queue_chunk`).Scan(&packed); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM queue_sample`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if packed != written || left != 0 {
		t.Errorf("packed %d samples, %d left as rows; want all %d packed", packed, left, written)
	}
}
