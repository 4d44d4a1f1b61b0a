package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/storage"
)

const secret = "0123456789abcdef-secret"

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
	note   alert.WebhookBody
	err    string // what the receiver found wrong with it
}

// receiver is a real HTTP server standing in for a webhook endpoint: it checks each
// request's signature and payload as a receiver should, and answers with what answer
// says (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, r received) int
}

func newReceiver(t *testing.T, answer func(n int, r received) int) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r := received{header: req.Header.Clone(), body: body}
		if err := alert.Verify(secret, req.Header, body, time.Now(), 5*time.Minute); err != nil {
			r.err = "signature: " + err.Error()
		} else if err := json.Unmarshal(body, &r.note); err != nil {
			r.err = "payload: " + err.Error()
		} else if r.note.Version != 1 || r.note.ID == "" || req.Header.Get(alert.HeaderIdempotencyKey) != r.note.ID ||
			req.Header.Get(alert.HeaderEvent) != r.note.Kind || req.Header.Get("Content-Type") != "application/json" {
			r.err = fmt.Sprintf("headers %v do not match the payload %+v", req.Header, r.note)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, r)
		n := len(rc.got)
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.answer != nil {
			status = rc.answer(n, r)
		}
		if r.err != "" {
			status = http.StatusBadRequest
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startSender runs a sender until the test ends, and checks it stops cleanly.
func startSender(t *testing.T, o alert.SenderOptions) (*alert.Sender, context.CancelFunc) {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	s := alert.NewSender(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sender: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("sender did not stop within 20 s")
		}
	}
	t.Cleanup(stop)
	return s, stop
}

func (w *world) webhookRule(name, url string, statuses ...string) int64 {
	return w.rule(storage.AlertRule{Name: name, Statuses: statuses, ReceiverKind: alert.Webhook, ReceiverURL: url, ReceiverSecret: secret})
}

// outbox returns a notification's row by idempotency key.
func (w *world) outbox(key string) storage.OutboxRow {
	w.t.Helper()
	row, err := storage.NotificationByKey(context.Background(), w.pool, key)
	if err != nil {
		w.t.Fatal(err)
	}
	return row
}

// TestWebhookSignedAndDelivered: a group goes offline and recovers; a real HTTP receiver
// gets the firing notification and then the resolution, each signed with the rule's secret
// and carrying its idempotency key, and the outbox records them delivered.
func TestWebhookSignedAndDelivered(t *testing.T) {
	w := newWorld(t)
	rc := newReceiver(t, nil)
	w.webhookRule("payments offline", rc.URL+"/hook", "OFFLINE")
	startSender(t, alert.SenderOptions{Pool: w.pool})

	w.poll([]group{{name: "payments", health: "OFFLINE", lag: 42}})
	waitFor(t, 10*time.Second, "firing delivered", func() bool { return len(rc.requests()) == 1 })
	w.advance(10 * time.Second)
	w.poll([]group{{name: "payments", health: "OK"}})
	waitFor(t, 10*time.Second, "resolution delivered", func() bool { return len(rc.requests()) == 2 })

	got := rc.requests()
	for _, r := range got {
		if r.err != "" {
			t.Errorf("receiver refused a request: %s\n%s", r.err, r.body)
		}
	}
	fire, res := got[0].note, got[1].note
	if fire.Kind != alert.Firing || fire.Status != "OFFLINE" || fire.Group != "payments" || fire.Rule != "payments offline" ||
		*fire.Lag != 42 || fire.URL != "https://lagboard.example.com/clusters/prod/groups/payments" {
		t.Errorf("firing payload: %s", got[0].body)
	}
	if res.Kind != alert.Resolved || res.ResolvedAt == nil || !res.Since.Equal(fire.Since) || res.ID == fire.ID ||
		!strings.HasPrefix(res.Summary, "recovered: OK") {
		t.Errorf("resolution payload: %s", got[1].body)
	}
	waitFor(t, 5*time.Second, "both recorded delivered", func() bool {
		return w.outbox(fire.ID).State == storage.OutboxDelivered && w.outbox(res.ID).State == storage.OutboxDelivered
	})
	// A receiver refuses what was changed on the way, and an old request replayed.
	ts := got[0].header.Get(alert.HeaderTimestamp)
	h := http.Header{alert.HeaderTimestamp: {ts}, alert.HeaderSignature: {got[0].header.Get(alert.HeaderSignature)}}
	tampered := []byte(strings.Replace(string(got[0].body), `"lag":42`, `"lag":43`, 1))
	if err := alert.Verify(secret, h, tampered, time.Now(), time.Minute); err == nil {
		t.Error("a changed body verified")
	}
	if err := alert.Verify(secret, h, got[0].body, time.Now().Add(time.Hour), time.Minute); err == nil {
		t.Error("an hour-old request verified")
	}
}

// TestDeliveryRetriesUntilAccepted: a receiver answering 500 twice gets the same
// notification again, with backoff, until it accepts it; the outbox shows the failure
// meanwhile.
func TestDeliveryRetriesUntilAccepted(t *testing.T) {
	w := newWorld(t)
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, _ received) int {
		if n == 2 {
			<-release // the test reads the failure shown before the receiver accepts
		}
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	w.webhookRule("flaky", rc.URL, "STOP")
	s, _ := startSender(t, alert.SenderOptions{Pool: w.pool, RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	w.poll([]group{{name: "orders", health: "STOP"}})
	waitFor(t, 10*time.Second, "second attempt", func() bool { return len(rc.requests()) == 2 })
	key := rc.requests()[0].note.ID
	row := w.outbox(key)
	if row.State != storage.OutboxPending || row.Attempts != 1 || row.LastError == nil ||
		!strings.Contains(*row.LastError, "500 Internal Server Error: answer 500") ||
		!strings.Contains(*row.LastError, "POST "+rc.URL) {
		t.Errorf("after a 500: %+v (%v)", row, deref(row.LastError))
	}
	close(release)
	waitFor(t, 10*time.Second, "delivered", func() bool { return w.outbox(key).State == storage.OutboxDelivered })
	for i, r := range rc.requests() {
		if r.note.ID != key || r.err != "" {
			t.Errorf("request %d: key %s (want %s) %s", i, r.note.ID, key, r.err)
		}
	}
	if n := len(rc.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if st := s.Stats()[alert.Webhook]; st.Delivered != 1 || st.Failed != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestUnreachableReceiver: a receiver nobody listens on fails every attempt; polling and
// other receivers go on, the notification is given up after its time and counted, and can
// be put back in the queue, which delivers it once the receiver answers again.
func TestUnreachableReceiver(t *testing.T) {
	w := newWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close()
	good := newReceiver(t, nil)
	deadID := w.webhookRule("dead", "http://"+deadAddr+"/hook", "STOP")
	w.webhookRule("good", good.URL, "STOP")
	s, _ := startSender(t, alert.SenderOptions{Pool: w.pool, RetryMin: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		GiveUpAfter: time.Second})
	w.poll([]group{{name: "orders", health: "STOP"}})
	waitFor(t, 10*time.Second, "the good receiver served", func() bool { return len(good.requests()) == 1 })

	var dead storage.OutboxRow
	waitFor(t, 10*time.Second, "the dead receiver given up", func() bool {
		rows, err := storage.FailingNotifications(context.Background(), w.pool, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.RuleID != nil && *r.RuleID == deadID {
				dead = r
			}
		}
		return dead.State == storage.OutboxGivenUp
	})
	if dead.Attempts < 2 || !strings.Contains(deref(dead.LastError), "connection refused") {
		t.Errorf("given up after %d attempts: %s", dead.Attempts, deref(dead.LastError))
	}
	if st := s.Stats()[alert.Webhook]; st.GivenUp != 1 || st.Failed < 2 || st.Delivered != 1 {
		t.Errorf("stats %+v", st)
	}
	// Polling went on all along.
	w.advance(10 * time.Second)
	w.poll([]group{{name: "orders", health: "STOP", lag: 9}})
	if g, err := storage.GroupRowOf(context.Background(), w.pool, "prod", "orders"); err != nil || *g.Lag != 9 {
		t.Fatalf("poll not stored: %v", err)
	}

	// The receiver comes back; someone puts the notification back in the queue.
	back, err := net.Listen("tcp", deadAddr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", deadAddr, err)
	}
	revived := newReceiverOn(t, back)
	svc := alert.NewService(w.pool, "")
	if err := svc.Retry(context.Background(), oncall, dead.ID, func(storage.OutboxRow) error { return nil }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "delivered after the retry", func() bool { return w.outbox(dead.Key).State == storage.OutboxDelivered })
	if got := revived.requests(); len(got) != 1 || got[0].note.ID != dead.Key || got[0].err != "" {
		t.Errorf("revived receiver got %+v", got)
	}
	if err := svc.Retry(context.Background(), oncall, dead.ID, func(storage.OutboxRow) error { return nil }); err == nil {
		t.Error("a delivered notification was put back in the queue")
	}
}

// newReceiverOn is newReceiver on a listener of the test's.
func newReceiverOn(t *testing.T, ln net.Listener) *receiver {
	t.Helper()
	rc := newReceiver(t, nil)
	rc.Close()
	s := httptest.NewUnstartedServer(rc.Config.Handler)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	rc.Server = s
	return rc
}

// TestOneSenderOfSeveral: three replicas run a sender each; one sends, every notification
// arrives once, and when the sending replica stops another takes over.
func TestOneSenderOfSeveral(t *testing.T) {
	w := newWorld(t)
	rc := newReceiver(t, nil)
	w.webhookRule("all", rc.URL, "STOP")
	var senders []*alert.Sender
	var stops []func()
	for range 3 {
		s, stop := startSender(t, alert.SenderOptions{Pool: w.pool})
		senders, stops = append(senders, s), append(stops, stop)
	}
	var groups []group
	for i := range 30 {
		groups = append(groups, group{name: fmt.Sprintf("g%02d", i), health: "STOP"})
	}
	w.poll(groups)
	waitFor(t, 20*time.Second, "30 delivered", func() bool { return len(rc.requests()) >= 30 })
	active := -1
	for i, s := range senders {
		if s.Active() {
			if active >= 0 {
				t.Fatalf("senders %d and %d both active", active, i)
			}
			active = i
		}
	}
	if active < 0 {
		t.Fatal("no sender active")
	}
	stops[active]()
	for i := range groups {
		groups[i].health = "OK"
	}
	w.advance(10 * time.Second)
	w.poll(groups)
	waitFor(t, 30*time.Second, "30 resolutions delivered by another replica", func() bool { return len(rc.requests()) >= 60 })
	seen := map[string]int{}
	for _, r := range rc.requests() {
		if r.err != "" {
			t.Errorf("refused: %s", r.err)
		}
		seen[r.note.ID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("notification %s delivered %d times", id, n)
		}
	}
	if len(seen) != 60 || len(rc.requests()) != 60 {
		t.Errorf("%d requests for %d notifications, want 60 and 60", len(rc.requests()), len(seen))
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestSlackMessage: a Slack-compatible incoming webhook gets a JSON object with the text
// of the notification in Slack's markup, a link to the group's page, and the idempotency
// key as a header; a failure shows the webhook's URL without its secret path.
func TestSlackMessage(t *testing.T) {
	w := newWorld(t)
	var (
		mu   sync.Mutex
		msgs []map[string]any
		keys []string
		fail = true
	)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.URL.Path != "/services/T0/B0/secret" {
			http.Error(rw, "bad", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			http.Error(rw, "no_service", http.StatusNotFound)
			return
		}
		msgs, keys = append(msgs, m), append(keys, r.Header.Get(alert.HeaderIdempotencyKey))
	}))
	defer srv.Close()
	w.rule(storage.AlertRule{Name: "to slack", Statuses: []string{"STALL"}, ReceiverKind: alert.Slack,
		ReceiverURL: srv.URL + "/services/T0/B0/secret"})
	startSender(t, alert.SenderOptions{Pool: w.pool, RetryMin: 20 * time.Millisecond})
	w.poll([]group{{name: "a<b>&c", health: "STALL", lag: 1500}})
	waitFor(t, 10*time.Second, "the message", func() bool { mu.Lock(); defer mu.Unlock(); return len(msgs) == 1 })
	text, _ := msgs[0]["text"].(string)
	want := ":rotating_light: *STALL: a&lt;b&gt;&amp;c on prod (to slack)*\nreason of STALL\nlag 1,500 · lag in time 0 s · " +
		"time to drain: measuring\n<https://lagboard.example.com/clusters/prod/groups/a%3Cb%3E&c|Open a&lt;b&gt;&amp;c in Lagboard>"
	if text != want || len(msgs[0]) != 1 {
		t.Errorf("message %q\nwant    %q", text, want)
	}
	// The receiver has the message before the sender records it delivered.
	var rows []storage.OutboxRow
	waitFor(t, 10*time.Second, "the delivery recorded", func() bool {
		var err error
		rows, err = storage.RecentNotifications(context.Background(), w.pool, 1)
		return err == nil && len(rows) == 1 && rows[0].State == storage.OutboxDelivered
	})
	if keys[0] != rows[0].Key || rows[0].Attempts != 2 {
		t.Fatalf("key %s, row %+v", keys[0], rows)
	}
	if e := deref(rows[0].LastError); !strings.Contains(e, "404 Not Found: no_service") || strings.Contains(e, "secret") ||
		!strings.Contains(e, srv.URL+"/…") {
		t.Errorf("recorded error %q", e)
	}
}
