package alert_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// world is a database with one cluster whose cycles the test writes itself, through
// SaveCycle with the evaluator's step, on a clock of its own.
type world struct {
	t         *testing.T
	pool      *pgxpool.Pool
	clusterID int64
	eval      *alert.Evaluator
	now       time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldOn(t, stacktest.DB(t))
}

// newWorldOn is a world on a database of the test's choosing. Its clock starts at the wall
// clock's, so that notifications are due for a sender on the wall clock.
func newWorldOn(t *testing.T, pool *pgxpool.Pool) *world {
	t.Helper()
	c, err := storage.UpsertCluster(context.Background(), pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, pool: pool, clusterID: c.ID, now: time.Now().UTC().Truncate(time.Millisecond),
		eval: &alert.Evaluator{BaseURL: "https://lagboard.example.com", Logger: slog.New(slog.DiscardHandler)}}
}

// group is a group's state as a poll stores it.
type group struct {
	name, health string
	lag          int64
	lagSeconds   float64
	expired      int64
	drain        *storage.Drain
}

// poll stores one cycle of the groups at the world's clock, evaluating alerts in it; stale
// groups are marked stale.
func (w *world) poll(groups []group, stale ...string) {
	w.t.Helper()
	c := storage.Cycle{ClusterID: w.clusterID, At: w.now, Stale: map[string]string{}}
	for _, g := range groups {
		lag, secs, exp := g.lag, g.lagSeconds, g.expired
		c.Groups = append(c.Groups, storage.GroupState{Group: g.name, Health: g.health, HealthReason: "reason of " + g.health,
			Lag: &lag, LagSeconds: &secs, Expired: &exp, Topics: []string{"t"}, LagTimeSource: "exact", PolledAt: w.now})
		d := storage.Drain{State: storage.DrainUnknown, Reason: "measuring"}
		if g.drain != nil {
			d = *g.drain
		}
		c.GroupDrains = append(c.GroupDrains, storage.GroupDrain{Group: g.name, Drain: d})
	}
	for _, s := range stale {
		c.Stale[s] = "broker down"
	}
	if err := storage.SaveCycle(context.Background(), w.pool, c, w.eval.Step("prod")); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) advance(d time.Duration) { w.now = w.now.Add(d) }

// rule stores a rule with the receiver a webhook and returns its id.
func (w *world) rule(r storage.AlertRule) int64 {
	w.t.Helper()
	if r.Name == "" {
		r.Name = "rule " + w.t.Name()
	}
	if r.Clusters == nil {
		r.Clusters, r.Groups = []string{"prod"}, []string{"*"}
	}
	if r.ReceiverKind == "" {
		r.ReceiverKind, r.ReceiverURL, r.ReceiverSecret = alert.Webhook, "http://127.0.0.1:1/hook", "0123456789abcdef"
	}
	r.Enabled = true
	r.UpdatedAt, r.UpdatedBy = w.now, "test"
	id, err := storage.InsertAlertRule(context.Background(), w.pool, r)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// queued returns the notifications queued since the last call, oldest first.
func (w *world) queued(after *int64) []alert.Notification {
	w.t.Helper()
	rows, err := storage.RecentNotifications(context.Background(), w.pool, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []alert.Notification
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].ID <= *after {
			continue
		}
		*after = rows[i].ID
		var n alert.Notification
		if err := json.Unmarshal(rows[i].Payload, &n); err != nil {
			w.t.Fatal(err)
		}
		if n.ID != rows[i].Key {
			w.t.Errorf("payload id %s, idempotency key %s", n.ID, rows[i].Key)
		}
		out = append(out, n)
	}
	return out
}

// kinds lists "kind trigger group" of notifications, for comparing.
func kinds(ns []alert.Notification) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Kind+" "+n.Trigger+" "+n.Group)
	}
	return strings.Join(s, ", ")
}

func TestAlertLifecycle(t *testing.T) {
	w := newWorld(t)
	repeat := int32(60)
	ruleID := w.rule(storage.AlertRule{Statuses: []string{"STALL", "STOP", "OFFLINE"}, RepeatSeconds: &repeat})
	var seen int64
	step := func(what string, groups []group, want string) {
		t.Helper()
		w.poll(groups)
		if got := kinds(w.queued(&seen)); got != want {
			t.Fatalf("%s: queued %q, want %q", what, got, want)
		}
	}
	step("healthy", []group{{name: "payments", health: "OK"}}, "")
	w.advance(10 * time.Second)
	step("goes offline", []group{{name: "payments", health: "OFFLINE", lag: 40}}, "firing OFFLINE payments")
	w.advance(10 * time.Second)
	step("still offline", []group{{name: "payments", health: "OFFLINE", lag: 50}}, "")
	w.advance(55 * time.Second)
	step("repeat interval passed", []group{{name: "payments", health: "OFFLINE", lag: 60}}, "repeat OFFLINE payments")
	svc := alert.NewService(w.pool, "")
	if err := svc.Ack(context.Background(), oncall, ruleID, "prod", "payments"); err != nil {
		t.Fatal(err)
	}
	w.advance(2 * time.Minute)
	step("acknowledged: no repeat", []group{{name: "payments", health: "OFFLINE", lag: 70}}, "")
	w.advance(10 * time.Second)
	step("status changes", []group{{name: "payments", health: "STOP", lag: 70}}, "firing STOP payments")
	w.advance(61 * time.Second)
	step("the acknowledgement went with the change", []group{{name: "payments", health: "STOP", lag: 70}}, "repeat STOP payments")
	w.advance(10 * time.Second)
	step("stale data neither fires nor resolves", nil, "")
	w.poll(nil, "payments")
	w.advance(10 * time.Second)
	step("recovers", []group{{name: "payments", health: "OK"}}, "resolved STOP payments")
	w.advance(10 * time.Second)
	step("stays healthy", []group{{name: "payments", health: "OK"}}, "")

	firing, err := storage.FiringAlerts(context.Background(), w.pool)
	if err != nil || len(firing) != 0 {
		t.Fatalf("firing after recovery: %+v, %v", firing, err)
	}
}

func TestAlertPayload(t *testing.T) {
	w := newWorld(t)
	w.rule(storage.AlertRule{Name: "payments stalled", Statuses: []string{"STALL"}})
	var seen int64
	secs := 840.0
	w.poll([]group{{name: "pay/eu", health: "STALL", lag: 1234, lagSeconds: 95, expired: 0,
		drain: &storage.Drain{State: storage.DrainDraining, Seconds: &secs, Reason: "drained in about 14 min"}}})
	ns := w.queued(&seen)
	if len(ns) != 1 {
		t.Fatalf("queued %d", len(ns))
	}
	n := ns[0]
	if n.Rule != "payments stalled" || n.Cluster != "prod" || n.Group != "pay/eu" || n.Status != "STALL" ||
		n.Trigger != "STALL" || n.Summary != "reason of STALL" || !n.Since.Equal(w.now) || !n.At.Equal(w.now) ||
		n.URL != "https://lagboard.example.com/clusters/prod/groups/pay%2Feu" || *n.Lag != 1234 || *n.LagSeconds != 95 ||
		n.Drain == nil || n.Drain.State != storage.DrainDraining || *n.Drain.Seconds != 840 || n.ResolvedAt != nil {
		t.Errorf("notification: %+v", n)
	}
	if n.Title() != "STALL: pay/eu on prod (payments stalled)" {
		t.Errorf("title %q", n.Title())
	}
}

func TestAlertTriggers(t *testing.T) {
	hour := 3600.0
	tests := []struct {
		name  string
		rule  storage.AlertRule
		group group
		want  string // trigger that fires, "" for none
	}{
		{"status listed", storage.AlertRule{Statuses: []string{"WARN"}}, group{name: "g", health: "WARN"}, "WARN"},
		{"status not listed", storage.AlertRule{Statuses: []string{"STOP"}}, group{name: "g", health: "WARN"}, ""},
		{"expired messages", storage.AlertRule{Expired: true}, group{name: "g", health: "WARN", expired: 5}, alert.TriggerExpired},
		{"nothing expired", storage.AlertRule{Expired: true}, group{name: "g", health: "OK"}, ""},
		{"lag threshold", storage.AlertRule{LagMessages: ptr(int64(1000))}, group{name: "g", health: "OK", lag: 1000}, alert.TriggerLag},
		{"under lag threshold", storage.AlertRule{LagMessages: ptr(int64(1000))}, group{name: "g", health: "OK", lag: 999}, ""},
		{"lag in time", storage.AlertRule{LagSeconds: ptr(600.0)}, group{name: "g", health: "OK", lag: 1, lagSeconds: 601}, alert.TriggerLagTime},
		{"will not drain: growing", storage.AlertRule{DrainWithinSeconds: &hour},
			group{name: "g", health: "WARN", lag: 10, drain: &storage.Drain{State: storage.DrainGrowing, Reason: "growing"}}, alert.TriggerDrain},
		{"will not drain within the hour", storage.AlertRule{DrainWithinSeconds: &hour},
			group{name: "g", health: "OK", lag: 10, drain: &storage.Drain{State: storage.DrainDraining, Seconds: ptr(7200.0)}}, alert.TriggerDrain},
		{"drains within the hour", storage.AlertRule{DrainWithinSeconds: &hour},
			group{name: "g", health: "OK", lag: 10, drain: &storage.Drain{State: storage.DrainDraining, Seconds: ptr(600.0)}}, ""},
		{"drain unknown", storage.AlertRule{DrainWithinSeconds: &hour},
			group{name: "g", health: "OK", lag: 10, drain: &storage.Drain{State: storage.DrainUnknown}}, ""},
		{"status first", storage.AlertRule{Statuses: []string{"STALL"}, LagMessages: ptr(int64(1))},
			group{name: "g", health: "STALL", lag: 10}, "STALL"},
		{"group outside the patterns", storage.AlertRule{Statuses: []string{"STALL"}, Clusters: []string{"prod"}, Groups: []string{"pay-*"}},
			group{name: "orders", health: "STALL"}, ""},
		{"cluster outside the patterns", storage.AlertRule{Statuses: []string{"STALL"}, Clusters: []string{"staging"}, Groups: []string{"*"}},
			group{name: "orders", health: "STALL"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.rule(tt.rule)
			var seen int64
			w.poll([]group{tt.group})
			want := ""
			if tt.want != "" {
				want = "firing " + tt.want + " " + tt.group.name
			}
			if got := kinds(w.queued(&seen)); got != want {
				t.Fatalf("queued %q, want %q", got, want)
			}
		})
	}
}

func TestAlertHeldFor(t *testing.T) {
	w := newWorld(t)
	w.rule(storage.AlertRule{LagMessages: ptr(int64(100)), HoldSeconds: 30})
	var seen int64
	for i, lag := range []int64{150, 150, 50, 150, 150, 150, 150} {
		w.poll([]group{{name: "g", health: "OK", lag: lag}})
		got := kinds(w.queued(&seen))
		// The lag dips at the third poll: the hold starts again at the fourth (30 s, then
		// 40 s, 50 s, 60 s): it has held 30 s at the seventh.
		want := ""
		if i == 6 {
			want = "firing lag g"
		}
		if got != want {
			t.Fatalf("poll %d (lag %d): queued %q, want %q", i, lag, got, want)
		}
		w.advance(10 * time.Second)
	}
}

func TestAlertSilence(t *testing.T) {
	w := newWorld(t)
	w.rule(storage.AlertRule{Statuses: []string{"STOP"}})
	svc := alert.NewService(w.pool, "")
	if _, err := svc.Silence(context.Background(), oncall, "prod", "pay*", time.Hour, "maintenance"); err != nil {
		t.Fatal(err)
	}
	var seen int64
	w.advance(time.Second)
	w.poll([]group{{name: "payments", health: "STOP"}, {name: "orders", health: "STOP"}})
	if got := kinds(w.queued(&seen)); got != "firing STOP orders" {
		t.Fatalf("under a silence of pay*: queued %q", got)
	}
	firing, _ := storage.FiringAlerts(context.Background(), w.pool)
	if len(firing) != 2 {
		t.Fatalf("both alerts fire, silenced or not: %+v", firing)
	}
	w.advance(time.Hour)
	w.poll([]group{{name: "payments", health: "STOP"}, {name: "orders", health: "STOP"}})
	if got := kinds(w.queued(&seen)); got != "firing STOP payments" {
		t.Fatalf("after the silence: queued %q, want the silenced alert sent now", got)
	}
}

func TestAlertResolvesWithoutTheGroupOrTheRule(t *testing.T) {
	w := newWorld(t)
	w.rule(storage.AlertRule{Name: "a", Statuses: []string{"STOP"}})
	var seen int64
	w.poll([]group{{name: "gone", health: "STOP"}, {name: "kept", health: "STOP"}})
	if got := kinds(w.queued(&seen)); got != "firing STOP gone, firing STOP kept" {
		t.Fatalf("queued %q", got)
	}
	// The group disappears from the cluster: removed with the cycle's Gone list.
	c := storage.Cycle{ClusterID: w.clusterID, At: w.now, Gone: []string{"gone"}}
	w.advance(10 * time.Second)
	c.At = w.now
	if err := storage.SaveCycle(context.Background(), w.pool, c, w.eval.Step("prod")); err != nil {
		t.Fatal(err)
	}
	ns := w.queued(&seen)
	if kinds(ns) != "resolved gone gone" || ns[0].Summary != "the group no longer exists in the cluster" {
		t.Fatalf("gone group: %+v", ns)
	}
	if _, err := w.pool.Exec(context.Background(), `UPDATE alert_rule SET enabled = false`); err != nil {
		t.Fatal(err)
	}
	w.advance(10 * time.Second)
	w.poll([]group{{name: "kept", health: "STOP"}})
	if ns := w.queued(&seen); kinds(ns) != "resolved STOP kept" || ns[0].Summary != "the rule was disabled" {
		t.Fatalf("disabled rule: %+v", ns)
	}
}

// TestAlertEvaluationFailureDoesNotStopPolling breaks a table the evaluation reads: the
// poll is stored anyway, the failure counted, and the next poll after the repair fires.
func TestAlertEvaluationFailureDoesNotStopPolling(t *testing.T) {
	w := newWorld(t)
	w.rule(storage.AlertRule{Statuses: []string{"STOP"}})
	ctx := context.Background()
	if _, err := w.pool.Exec(ctx, `ALTER TABLE alert_silence RENAME TO alert_silence_away`); err != nil {
		t.Fatal(err)
	}
	var seen int64
	w.poll([]group{{name: "g", health: "STOP", lag: 7}})
	if got := kinds(w.queued(&seen)); got != "" || w.eval.Failures() != 1 {
		t.Fatalf("broken evaluation: queued %q, failures %d", got, w.eval.Failures())
	}
	g, err := storage.GroupRowOf(ctx, w.pool, "prod", "g")
	if err != nil || g.Health != "STOP" || *g.Lag != 7 {
		t.Fatalf("the poll was not stored: %+v, %v", g, err)
	}
	if _, err := w.pool.Exec(ctx, `ALTER TABLE alert_silence_away RENAME TO alert_silence`); err != nil {
		t.Fatal(err)
	}
	w.advance(10 * time.Second)
	w.poll([]group{{name: "g", health: "STOP", lag: 8}})
	if got := kinds(w.queued(&seen)); got != "firing STOP g" {
		t.Fatalf("after the repair: queued %q", got)
	}
}

func ptr[T any](v T) *T { return &v }

// oncall is the person acting in these tests.
var oncall = alert.Who{Origin: audit.Origin{Actor: audit.Actor{Subject: "oncall@example.com", Name: "On Call"}}}
