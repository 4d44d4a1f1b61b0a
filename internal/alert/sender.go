package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/storage"
)

// Defaults of SenderOptions.
const (
	DefaultRetryMin    = 5 * time.Second
	DefaultRetryMax    = 10 * time.Minute
	DefaultGiveUpAfter = 24 * time.Hour
	DefaultRefresh     = time.Minute
	DefaultKeep        = 7 * 24 * time.Hour
	requestTimeout     = 10 * time.Second
)

// SenderOptions configure a Sender; zero fields take the defaults.
type SenderOptions struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// BaseURL is Lagboard's public URL, for links in the alerts kept fresh in Alertmanager.
	BaseURL string
	// Client sends the requests; one that follows no redirect, with a deadline on each
	// request, when nil.
	Client *http.Client
	// RetryMin and RetryMax bound the wait after a failed attempt, which doubles from one
	// attempt to the next.
	RetryMin, RetryMax time.Duration
	// GiveUpAfter is how long a notification is retried before it is given up, shown as
	// such and counted; someone may put it back in the queue from the alerts page.
	GiveUpAfter time.Duration
	// Refresh is how often firing alerts are pushed to Alertmanager again: it resolves an
	// alert nobody refreshed once its endsAt (five refreshes ahead) passes.
	Refresh time.Duration
	// Keep is how long delivered notifications stay listed.
	Keep time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Sender delivers the outbox. Every replica runs one; the one holding a Postgres advisory
// lock sends and the others wait to take over, so notifications leave once, in order. Each
// is claimed with FOR UPDATE SKIP LOCKED in a transaction of its own and marked delivered
// in it: a crash between sending and recording sends it again at the next start, with the
// same idempotency key.
type Sender struct {
	o      SenderOptions
	active atomic.Bool

	mu          sync.Mutex
	stats       map[string]*KindStats
	refreshedAt time.Time
	prunedAt    time.Time
	failing     string
}

// KindStats counts one receiver kind's delivery attempts since start.
type KindStats struct {
	Delivered, Failed, GivenUp, RefreshFailed uint64
}

// NewSender returns a Sender with its defaults filled in.
func NewSender(o SenderOptions) *Sender {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: requestTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	o.RetryMin = cmpDur(o.RetryMin, DefaultRetryMin)
	o.RetryMax = cmpDur(o.RetryMax, DefaultRetryMax)
	o.GiveUpAfter = cmpDur(o.GiveUpAfter, DefaultGiveUpAfter)
	o.Refresh = cmpDur(o.Refresh, DefaultRefresh)
	o.Keep = cmpDur(o.Keep, DefaultKeep)
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Sender{o: o, stats: map[string]*KindStats{}}
	for _, k := range ReceiverKinds {
		s.stats[k] = &KindStats{}
	}
	return s
}

func cmpDur(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Active reports whether this process is the one sending.
func (s *Sender) Active() bool { return s.active.Load() }

// Stats returns the counts of each receiver kind since start.
func (s *Sender) Stats() map[string]KindStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]KindStats{}
	for k, v := range s.stats {
		out[k] = *v
	}
	return out
}

// senderLock names the advisory lock the sending replica holds.
const senderLock = "lagboard.alert.sender"

// Run sends until ctx is cancelled, taking the lead when no other replica holds it and
// starting over when Postgres goes away.
func (s *Sender) Run(ctx context.Context) error {
	for {
		err := s.lead(ctx)
		s.active.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		s.change(err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}

// change logs a failure when it starts or changes, and once when it ends.
func (s *Sender) change(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg == s.failing {
		return
	}
	if msg == "" {
		s.o.Logger.Info("alert sender recovered", "was", s.failing)
	} else {
		s.o.Logger.Warn("alert sender cannot work", "err", msg)
	}
	s.failing = msg
}

// lead holds a connection of its own for the advisory lock and for LISTEN, and sends while
// it holds the lock. It returns when the connection fails or ctx ends.
func (s *Sender) lead(ctx context.Context) error {
	lock := storage.NewSessionLock(s.o.Pool.Config().ConnConfig, senderLock, storage.SessionLockOptions{})
	defer lock.Close()
	for {
		held, err := lock.Acquire(ctx, 5*time.Second)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("alert sender: %w", err)
		}
		if held {
			break
		}
	}
	conn := lock.Conn()
	if _, err := conn.Exec(ctx, "LISTEN "+storage.OutboxChannel); err != nil {
		return fmt.Errorf("alert sender: listen: %w", err)
	}
	s.active.Store(true)
	s.o.Logger.Info("alert sender active")
	for {
		if err := s.deliverDue(ctx); err != nil {
			return err
		}
		s.change(nil)
		s.housekeeping(ctx)
		wait, err := s.untilNext(ctx)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		_, err = conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !pgconn.Timeout(err):
			return fmt.Errorf("alert sender: wait: %w", err)
		}
	}
}

// untilNext is how long to wait for a notification before looking again: until the next
// retry is due or the next refresh, at most five seconds.
func (s *Sender) untilNext(ctx context.Context) (time.Duration, error) {
	wait := 5 * time.Second
	at, ok, err := storage.NextNotificationDue(ctx, s.o.Pool)
	if err != nil {
		return 0, err
	}
	if ok {
		wait = min(wait, at.Sub(s.o.Now()))
	}
	s.mu.Lock()
	wait = min(wait, s.refreshedAt.Add(s.o.Refresh).Sub(s.o.Now()))
	s.mu.Unlock()
	return max(wait, 10*time.Millisecond), nil
}

// deliverDue delivers every notification due now, one transaction each.
func (s *Sender) deliverDue(ctx context.Context) error {
	for ctx.Err() == nil {
		sent, err := s.deliverOne(ctx)
		if err != nil || !sent {
			return err
		}
	}
	return nil
}

// deliverOne claims the next notification due, sends it and records the attempt. It
// reports whether there was one.
func (s *Sender) deliverOne(ctx context.Context) (bool, error) {
	tx, err := s.o.Pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("alert sender: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	now := s.o.Now()
	row, ok, err := storage.ClaimNotification(ctx, tx, now)
	if err != nil || !ok {
		return false, err
	}
	sendErr := s.send(ctx, row, now)
	if ctx.Err() != nil {
		return false, nil // stopping: the row stays pending, and goes at the next start
	}
	at := s.o.Now()
	state, next, text := storage.OutboxDelivered, at, ""
	s.mu.Lock()
	st := s.stats[row.ReceiverKind]
	if st == nil {
		st = &KindStats{}
		s.stats[row.ReceiverKind] = st
	}
	switch {
	case sendErr == nil:
		st.Delivered++
	case at.Sub(row.Queued()) >= s.o.GiveUpAfter:
		st.Failed++
		st.GivenUp++
		state, text = storage.OutboxGivenUp, sendErr.Error()
	default:
		st.Failed++
		state, text, next = storage.OutboxPending, sendErr.Error(), at.Add(s.backoff(int(row.Attempts)+1))
	}
	s.mu.Unlock()
	if sendErr != nil {
		s.o.Logger.Warn("alert notification not delivered", "id", row.Key, "rule", row.RuleName, "cluster", row.Cluster,
			"group", row.Group, "kind", row.Kind, "attempt", row.Attempts+1, "state", state, "err", text)
	}
	if err := storage.RecordDelivery(ctx, tx, row.ID, state, at, text, next); err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("alert sender: record delivery: %w", err)
	}
	return true, nil
}

// send makes one attempt to deliver a row.
func (s *Sender) send(ctx context.Context, row storage.OutboxRow, now time.Time) error {
	var n Notification
	if err := json.Unmarshal(row.Payload, &n); err != nil {
		return fmt.Errorf("stored notification unreadable: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := request(rctx, row.ReceiverKind, row.ReceiverURL, row.ReceiverSecret, n, now, s.ttl())
	if err != nil {
		return err
	}
	return post(s.o.Client, row.ReceiverKind, req)
}

// ttl is how long Alertmanager keeps a firing alert nobody refreshes.
func (s *Sender) ttl() time.Duration { return 5 * s.o.Refresh }

// backoff is the wait before attempt n+1: RetryMin doubling up to RetryMax, within ±20% so
// that many failures do not come back at once.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.o.RetryMin
	for i := 1; i < attempts && d < s.o.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.o.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// housekeeping refreshes Alertmanager's firing alerts and prunes old rows, each when due.
func (s *Sender) housekeeping(ctx context.Context) {
	now := s.o.Now()
	s.mu.Lock()
	refresh, prune := now.Sub(s.refreshedAt) >= s.o.Refresh, now.Sub(s.prunedAt) >= time.Hour
	if refresh {
		s.refreshedAt = now
	}
	if prune {
		s.prunedAt = now
	}
	s.mu.Unlock()
	if refresh {
		s.refresh(ctx, now)
	}
	if prune {
		if n, err := storage.PruneOutbox(ctx, s.o.Pool, now.Add(-s.o.Keep)); err != nil {
			s.o.Logger.Warn("alert outbox not pruned", "err", err)
		} else if n > 0 {
			s.o.Logger.Info("alert outbox pruned", "delivered_notifications", n)
		}
	}
}

// refresh pushes every firing alert Alertmanager was told of again, so that it stays
// firing there while it fires here. A failure is logged and counted; the next refresh
// tries again, and until endsAt passes Alertmanager keeps the alert.
func (s *Sender) refresh(ctx context.Context, now time.Time) {
	alerts, err := storage.FiringAlerts(ctx, s.o.Pool)
	if err != nil {
		s.o.Logger.Warn("alertmanager refresh: cannot read firing alerts", "err", err)
		return
	}
	byURL := map[string][]amAlert{}
	for _, a := range alerts {
		if a.ReceiverKind != Alertmanager || a.NotifiedAt == nil {
			continue
		}
		n := Notification{Rule: a.RuleName, RuleID: a.RuleID, Cluster: a.Cluster, Group: a.Group,
			URL: groupURL(s.o.BaseURL, a.Cluster, a.Group), Status: a.Health, Trigger: a.Trigger, Summary: a.Summary,
			Since: *a.FiringSince, Kind: Firing}
		byURL[a.ReceiverURL] = append(byURL[a.ReceiverURL], amAlertOf(n, now.Add(s.ttl())))
	}
	for target, batch := range byURL {
		err := s.pushAlerts(ctx, target, batch)
		if err != nil {
			s.mu.Lock()
			s.stats[Alertmanager].RefreshFailed++
			s.mu.Unlock()
			s.o.Logger.Warn("alertmanager refresh failed", "url", DisplayURL(Alertmanager, target), "alerts", len(batch), "err", err)
		}
	}
}

func (s *Sender) pushAlerts(ctx context.Context, target string, batch []amAlert) error {
	body, err := json.Marshal(batch)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, alertmanagerURL(target), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Lagboard")
	return post(s.o.Client, Alertmanager, req)
}
