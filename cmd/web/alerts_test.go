package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// hook is a webhook receiver that refuses with 503 until opened, and records what it got.
type hook struct {
	mu       sync.Mutex
	open     bool
	got      []alert.WebhookBody
	accepted []alert.WebhookBody
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var n alert.WebhookBody
	if err := alert.Verify(killSecret, r.Header, body, time.Now(), 5*time.Minute); err != nil || json.Unmarshal(body, &n) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, n)
	if !h.open {
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	h.accepted = append(h.accepted, n)
}

func (h *hook) counts() (got, accepted int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got), len(h.accepted)
}

const killSecret = "kill-test-secret-0123"

// TestNotificationSurvivesSIGKILL runs the server as a process of its own. A real consumer
// stops; the group goes OFFLINE and the notification is decided, but its receiver refuses
// it for now. The server is killed with SIGKILL. A new server starts on the same database:
// it neither decides the alert again nor forgets it, and delivers it, once, as soon as the
// receiver takes it. The resolution after the consumer comes back is the next, and last,
// thing the receiver gets.
func TestNotificationSurvivesSIGKILL(t *testing.T) {
	ctx := context.Background()
	rmq := stacktest.Broker(t, stacktest.Versions(t)[0])
	dbURL := stacktest.DatabaseURL(t)
	pool, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h := &hook{}
	rcv := httptest.NewServer(h)
	defer rcv.Close()
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
	if _, err := storage.InsertAlertRule(ctx, pool, storage.AlertRule{Name: "offline", Enabled: true, Clusters: []string{"local"},
		Groups: []string{group}, Statuses: []string{"OFFLINE"}, ReceiverKind: alert.Webhook, ReceiverURL: rcv.URL + "/hook",
		ReceiverSecret: killSecret, UpdatedAt: time.Now(), UpdatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	bin := stacktest.WebBinary(t)
	logDir := t.TempDir()
	start := func(n string) *stack.Process {
		t.Helper()
		p, err := stack.StartProcess(stack.ProcessSpec{Name: "web-" + n, Path: bin, LogPath: filepath.Join(logDir, "web-"+n+".log"),
			Env: append(os.Environ(), "DATABASE_URL="+dbURL, "LAGBOARD_CLUSTERS=local="+rmq.NamesrvAddr,
				"LAGBOARD_ADDR=127.0.0.1:0", "LAGBOARD_ANONYMOUS_READ=true", "LAGBOARD_POLL_INTERVAL=1s",
				"LAGBOARD_PUBLIC_URL=http://lagboard.test")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.Stop(10 * time.Second) //nolint:errcheck // teardown
			if t.Failed() {
				t.Logf("%s log:\n%s", p.Name(), p.Tail(40))
			}
		})
		return p
	}
	wait := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("not %s after %s", what, within)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	outbox := func(kind string) []storage.OutboxRow {
		t.Helper()
		rows, err := storage.RecentNotifications(ctx, pool, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []storage.OutboxRow
		for _, r := range rows {
			if r.Kind == kind {
				out = append(out, r)
			}
		}
		return out
	}

	first := start("1")
	stacktest.CreateTopic(t, rmq, topic, 2)
	c := stacktest.Consume(t, rmq, group, topic, stacktest.ConsumerOptions{})
	stacktest.Produce(t, rmq, topic, 5)
	c.WaitConsumed(t, 5, 90*time.Second)
	c.Stop()
	stacktest.Produce(t, rmq, topic, 5)
	wait("the notification refused by the receiver", 90*time.Second, func() bool { got, _ := h.counts(); return got >= 1 })

	if err := first.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server survived SIGKILL")
	}
	fired := outbox(alert.Firing)
	if len(fired) != 1 || fired[0].State != storage.OutboxPending {
		t.Fatalf("after the kill: %+v", fired)
	}
	h.mu.Lock()
	h.open = true
	h.mu.Unlock()

	start("2")
	wait("the notification delivered by the new server", 90*time.Second, func() bool { _, acc := h.counts(); return acc >= 1 })
	resumed := stacktest.Consume(t, rmq, group, topic, stacktest.ConsumerOptions{})
	resumed.WaitConsumed(t, 5, 90*time.Second)
	wait("the resolution delivered", 90*time.Second, func() bool { _, acc := h.counts(); return acc >= 2 })

	h.mu.Lock()
	got, acc := append([]alert.WebhookBody(nil), h.got...), append([]alert.WebhookBody(nil), h.accepted...)
	h.mu.Unlock()
	if len(acc) != 2 || acc[0].Kind != alert.Firing || acc[0].ID != fired[0].Key || acc[1].Kind != alert.Resolved ||
		!acc[1].Since.Equal(acc[0].Since) {
		t.Fatalf("accepted %+v, want the firing notification once, then its resolution", acc)
	}
	for _, n := range got[:len(got)-1] {
		if n.ID != fired[0].Key {
			t.Errorf("before the resolution the receiver got %s %s, not the one notification %s", n.Kind, n.ID, fired[0].Key)
		}
	}
	if n := len(outbox(alert.Firing)); n != 1 {
		t.Errorf("%d firing notifications decided; the restart decided it again", n)
	}
	// An attempt is recorded in the transaction that holds the row, so the one in flight
	// when the first server was killed reached the receiver but is not counted: the
	// receiver may have had one request more than the row's attempts, never fewer.
	if row := outbox(alert.Firing)[0]; row.State != storage.OutboxDelivered ||
		int(row.Attempts) > len(got)-1 || int(row.Attempts) < len(got)-2 {
		t.Errorf("outbox row %+v after %d requests for it", row, len(got)-1)
	}
}
