package alert_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/migrations"
)

// TestSenderSurvivesPostgresRestart restarts Postgres while the sender is in the middle of
// a delivery, its transaction open: the receiver has the notification but the sender cannot
// record it. After the restart the sender takes the lead again and delivers it again with
// the same idempotency key (nothing lost; the receiver tells the repeat by its key), and
// what is queued afterwards arrives once.
func TestSenderSurvivesPostgresRestart(t *testing.T) {
	ctx := context.Background()
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
	w := newWorldOn(t, pool)
	inFlight, release := make(chan struct{}), make(chan struct{})
	rc := newReceiver(t, func(n int, _ received) int {
		if n == 1 {
			close(inFlight)
			<-release
		}
		return http.StatusOK
	})
	w.webhookRule("restart", rc.URL, "STOP")
	s, _ := startSender(t, alert.SenderOptions{Pool: pool})
	w.poll([]group{{name: "orders", health: "STOP"}})
	<-inFlight
	if err := pg.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	close(release)
	waitFor(t, 60*time.Second, "delivered after the restart", func() bool {
		row, err := storage.NotificationByKey(ctx, pool, rc.requests()[0].note.ID)
		return err == nil && row.State == storage.OutboxDelivered
	})
	got := rc.requests()
	if len(got) != 2 || got[0].note.ID != got[1].note.ID || got[0].err != "" || got[1].err != "" {
		t.Fatalf("receiver got %d requests (%+v), want the one notification twice, same key", len(got), got)
	}
	if !s.Active() {
		t.Error("the sender did not take the lead again")
	}
	w.advance(10 * time.Second)
	w.poll([]group{{name: "orders", health: "OK"}})
	waitFor(t, 10*time.Second, "the resolution", func() bool { return len(rc.requests()) == 3 })
	if res := rc.requests()[2].note; res.Kind != alert.Resolved || res.ID == got[0].note.ID {
		t.Errorf("third request: %+v", res)
	}
}
