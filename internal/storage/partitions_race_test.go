package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestEnsurePartitionsConcurrently has eight sessions make the partitions of hours no one
// made yet at the same moment, as the pollers of several clusters do when the hour turns:
// none of them fails, and every partition exists once.
func TestEnsurePartitionsConcurrently(t *testing.T) {
	pool := stacktest.DB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for round := range 5 {
		at := time.Date(2031, 3, 1+round, 7, 30, 0, 0, time.UTC)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				errs <- storage.EnsurePartitions(ctx, pool, at)
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname = 'queue_sample_p2031030107'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("partition of 2031-03-01 07:00: %d, %v", n, err)
	}
}
