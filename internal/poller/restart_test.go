package poller_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/migrations"
)

// TestPollerSurvivesPostgresRestart runs the poller loop against its own Postgres, restarts
// the server under it, and waits for the loop to store a cycle again without help.
func TestPollerSurvivesPostgresRestart(t *testing.T) {
	ctx := context.Background()
	rmq := stacktest.Broker(t, stacktest.Versions(t)[0])
	pg, err := stack.StartPostgres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop() //nolint:errcheck // test teardown
	pool, err := storage.Open(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	migs, err := storage.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.Migrate(ctx, pool, migs); err != nil {
		t.Fatal(err)
	}
	c, err := storage.UpsertCluster(ctx, pool, "local", []string{rmq.NamesrvAddr})
	if err != nil {
		t.Fatal(err)
	}
	admin := mqadmin.New(mqadmin.Options{})
	defer admin.Close()
	p := poller.New(poller.Config{
		Cluster: "local", ClusterID: c.ID, NamesrvAddrs: []string{rmq.NamesrvAddr},
		Admin: admin, Pool: pool, Interval: 2 * time.Second, // the shared broker holds every test's groups
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	waitStored := func(after time.Time) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for p.Stats().LastOK.Before(after) {
			if time.Now().After(deadline) {
				t.Fatalf("no cycle stored after %s; last report: %+v", after.Format(time.RFC3339Nano), p.Stats().Last)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitStored(time.Now())
	restarted := time.Now()
	if err := pg.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	waitStored(time.Now())
	if failures := p.Stats().Failures; failures == 0 {
		t.Logf("no cycle failed across the restart (it fell between cycles)")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM broker_state WHERE ok_at > $1`, restarted).Scan(&n); err != nil || n == 0 {
		t.Fatalf("nothing stored since the restart: %d, %v; last report: %+v", n, err, p.Stats().Last)
	}
}
