package alert_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// amAlert is an alert as Alertmanager's v2 API lists it.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// activeAlerts lists the alerts Alertmanager holds unresolved for a group.
func activeAlerts(t *testing.T, am, group string) []amAlert {
	t.Helper()
	resp, err := http.Get(am + "/api/v2/alerts?" + url.Values{"filter": {`group="` + group + `"`}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET alerts: %s %v", resp.Status, err)
	}
	return out
}

// TestAlertmanagerGetsAlertAndResolution runs the poller on a real broker with the
// evaluator in its cycles and the sender pushing to a real Alertmanager. A real consumer
// stops with messages waiting: the group goes OFFLINE and Alertmanager holds the alert,
// with its labels, annotations and a link to the group's page. The consumer comes back and
// catches up: Lagboard resolves the alert and Alertmanager lists it no more. Alertmanager
// would keep an alert nobody refreshed for five minutes, so only the resolution can end it
// within this test.
func TestAlertmanagerGetsAlertAndResolution(t *testing.T) {
	ctx := context.Background()
	rmq := stacktest.Broker(t, stacktest.Versions(t)[0])
	am := stacktest.Alertmanager(t)
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(ctx, pool, "local", []string{rmq.NamesrvAddr})
	if err != nil {
		t.Fatal(err)
	}
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
	_, err = storage.InsertAlertRule(ctx, pool, storage.AlertRule{Name: "offline " + group, Enabled: true,
		Clusters: []string{"local"}, Groups: []string{group}, Statuses: []string{"OFFLINE", "STOP", "STALL"},
		ReceiverKind: alert.Alertmanager, ReceiverURL: am, UpdatedAt: time.Now(), UpdatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	eval := &alert.Evaluator{BaseURL: "http://lagboard.test", Logger: logger}
	admin := mqadmin.New(mqadmin.Options{})
	defer admin.Close()
	p := poller.New(poller.Config{Cluster: "local", ClusterID: c.ID, NamesrvAddrs: []string{rmq.NamesrvAddr},
		Admin: admin, Pool: pool, Interval: 3 * time.Second, InCycle: eval.Step("local"), Logger: logger})
	startSender(t, alert.SenderOptions{Pool: pool, BaseURL: "http://lagboard.test", Logger: logger})

	// pollUntil polls every half second until the group's stored state satisfies cond.
	pollUntil := func(what string, cond func(storage.GroupRow) bool) storage.GroupRow {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			if rep := p.PollOnce(ctx); rep.Err != nil {
				t.Fatalf("poll: %v", rep.Err)
			}
			g, err := storage.GroupRowOf(ctx, pool, "local", group)
			if err == nil && cond(g) {
				return g
			}
			if time.Now().After(deadline) {
				t.Fatalf("group never %s: %+v (%v)", what, g.GroupState, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	stacktest.CreateTopic(t, rmq, topic, 2)
	consumer := stacktest.Consume(t, rmq, group, topic, stacktest.ConsumerOptions{})
	stacktest.Produce(t, rmq, topic, 10)
	consumer.WaitConsumed(t, 10, 90*time.Second)
	pollUntil("caught up with its client online", func(g storage.GroupRow) bool {
		return g.Clients != nil && *g.Clients > 0 && g.Lag != nil && *g.Lag == 0
	})
	if got := activeAlerts(t, am, group); len(got) != 0 {
		t.Fatalf("alerts while healthy: %+v", got)
	}

	consumer.Stop()
	stacktest.Produce(t, rmq, topic, 10)
	pollUntil("offline", func(g storage.GroupRow) bool { return g.Health == poller.Offline })
	var firing []amAlert
	waitFor(t, 30*time.Second, "the alert in Alertmanager", func() bool {
		firing = activeAlerts(t, am, group)
		return len(firing) == 1
	})
	a := firing[0]
	if a.Labels["alertname"] != "offline "+group || a.Labels["cluster"] != "local" || a.Labels["source"] != "lagboard" ||
		a.Annotations["status"] != "OFFLINE" || a.Annotations["trigger"] != "OFFLINE" || a.Status.State != "active" ||
		a.GeneratorURL != "http://lagboard.test/clusters/local/groups/"+group || a.Annotations["group_url"] != a.GeneratorURL ||
		a.Annotations["description"] == "" || a.EndsAt.Before(time.Now().Add(4*time.Minute)) {
		t.Errorf("alert in Alertmanager: %+v", a)
	}

	resumed := stacktest.Consume(t, rmq, group, topic, stacktest.ConsumerOptions{})
	resumed.WaitConsumed(t, 10, 90*time.Second)
	pollUntil("caught up again", func(g storage.GroupRow) bool {
		return g.Health != poller.Offline && g.Health != poller.Stall && g.Health != poller.Stop && g.Lag != nil && *g.Lag == 0
	})
	waitFor(t, 30*time.Second, "the alert resolved in Alertmanager", func() bool { return len(activeAlerts(t, am, group)) == 0 })
	// The sender marks a notification delivered once Alertmanager has answered: the
	// resolution can show there a moment before its row says so.
	var rows []storage.OutboxRow
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if rows, err = storage.RecentNotifications(ctx, pool, 10); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 2 && rows[0].State == storage.OutboxDelivered && rows[1].State == storage.OutboxDelivered || time.Now().After(deadline) {
			break
		}
	}
	if len(rows) != 2 || rows[0].Kind != alert.Resolved || rows[1].Kind != alert.Firing ||
		rows[0].State != storage.OutboxDelivered || rows[1].State != storage.OutboxDelivered {
		t.Errorf("outbox: %+v", rows)
	}
}
