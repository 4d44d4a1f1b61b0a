package metrics

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestCollectorReportsDrainAndAlerts stores a poll with time-to-drain estimates and an
// alert rule firing on it, and reads them back as metrics: +Inf for a backlog that will not
// drain, nothing for an unknown estimate, the firing alert and the waiting notification.
func TestCollectorReportsDrainAndAlerts(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := storage.InsertAlertRule(ctx, pool, storage.AlertRule{Name: "stuck", Enabled: true, Clusters: []string{"*"},
		Groups: []string{"*"}, Statuses: []string{"STOP"}, ReceiverKind: alert.Alertmanager,
		ReceiverURL: "http://127.0.0.1:1", UpdatedAt: now, UpdatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	lag := int64(100)
	groups := []storage.GroupState{
		{Group: "orders", Topics: []string{"a", "b", "c"}, Lag: &lag, Health: "STOP", LagTimeSource: "unknown", PolledAt: now},
	}
	drains := []storage.TopicDrain{
		{Group: "orders", Topic: "a", State: storage.DrainGrowing, LagRate: f(3), ProduceRate: f(10), ConsumeRate: f(7)},
		{Group: "orders", Topic: "b", State: storage.DrainDraining, Seconds: f(120), LagRate: f(-0.5), ProduceRate: f(1), ConsumeRate: f(1.5)},
		{Group: "orders", Topic: "c", State: storage.DrainUnknown, Reason: "measuring"},
	}
	eval := &alert.Evaluator{Logger: slog.New(slog.DiscardHandler)}
	err = storage.SaveCycle(ctx, pool, storage.Cycle{ClusterID: c.ID, At: now, Groups: groups,
		GroupDrains: []storage.GroupDrain{{Group: "orders", Drain: storage.Drain{State: storage.DrainGrowing}}}, TopicDrains: drains},
		eval.Step("prod"))
	if err != nil {
		t.Fatal(err)
	}
	col := New(pool, nil, slog.New(slog.DiscardHandler)).WithAlerts(Alerts{
		Sender: alert.NewSender(alert.SenderOptions{Pool: pool}), Evaluator: eval})
	col.now = func() time.Time { return now.Add(90 * time.Second) }
	want := `
# HELP lagboard_group_drain_seconds Estimated seconds until the group has consumed every waiting message of the topic, at the rates of the recent window: 0 when caught up, +Inf when the backlog grows or stands still; absent when unknown.
# TYPE lagboard_group_drain_seconds gauge
lagboard_group_drain_seconds{cluster="prod",group="orders",topic="a"} +Inf
lagboard_group_drain_seconds{cluster="prod",group="orders",topic="b"} 120
# HELP lagboard_group_lag_growth_rate Messages per second the group's lag on the topic changes by over the recent window; negative while it shrinks.
# TYPE lagboard_group_lag_growth_rate gauge
lagboard_group_lag_growth_rate{cluster="prod",group="orders",topic="a"} 3
lagboard_group_lag_growth_rate{cluster="prod",group="orders",topic="b"} -0.5
# HELP lagboard_alert_firing 1 for each alert firing now, by the rule that fires it.
# TYPE lagboard_alert_firing gauge
lagboard_alert_firing{cluster="prod",group="orders",rule="stuck"} 1
# HELP lagboard_alert_notifications_pending Notifications waiting in the outbox to be delivered.
# TYPE lagboard_alert_notifications_pending gauge
lagboard_alert_notifications_pending 1
# HELP lagboard_alert_oldest_pending_seconds Age of the oldest notification waiting in the outbox; 0 when none waits.
# TYPE lagboard_alert_oldest_pending_seconds gauge
lagboard_alert_oldest_pending_seconds 90
# HELP lagboard_alert_delivery_failures_total Delivery attempts of this process that failed, by receiver kind.
# TYPE lagboard_alert_delivery_failures_total counter
lagboard_alert_delivery_failures_total{receiver="alertmanager"} 0
lagboard_alert_delivery_failures_total{receiver="slack"} 0
lagboard_alert_delivery_failures_total{receiver="webhook"} 0
# HELP lagboard_alert_sender_active 1 when this process is the replica sending notifications.
# TYPE lagboard_alert_sender_active gauge
lagboard_alert_sender_active 0
`
	names := []string{"lagboard_group_drain_seconds", "lagboard_group_lag_growth_rate", "lagboard_alert_firing",
		"lagboard_alert_notifications_pending", "lagboard_alert_oldest_pending_seconds", "lagboard_alert_delivery_failures_total",
		"lagboard_alert_sender_active"}
	if err := testutil.ScrapeAndCompare(serve(t, col), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}
