package metrics

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

func TestCollectorReportsStoredState(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	lag, clients, secs, three, six := int64(10), int32(2), 42.5, int64(3), int64(6)
	err = storage.SaveCycle(ctx, pool, storage.Cycle{
		ClusterID: c.ID, At: now,
		Groups: []storage.GroupState{{Group: "orders", Topics: []string{"t"}, Lag: &lag, Clients: &clients,
			LagSeconds: &secs, LagTimeSource: "interpolated", Health: "WARN", PolledAt: now}},
		Queues: []storage.QueueState{
			{Group: "orders", Topic: "t", Broker: "b", QueueID: 0, MaxOffset: 10, ConsumerOffset: 5, LagSeconds: &secs, PolledAt: now, Committed: true},
			// Retention passed the committed offset: 2 of the 3 waiting expired.
			{Group: "orders", Topic: "t", Broker: "b", QueueID: 1, MaxOffset: 4, ConsumerOffset: 1, MinOffset: &three, PolledAt: now, Committed: true},
			// Never committed: its first client starts at 6 of 8.
			{Group: "orders", Topic: "t", Broker: "b", QueueID: 2, MaxOffset: 8, StartOffset: &six, PolledAt: now},
			// Committed past the end: nothing waits.
			{Group: "orders", Topic: "t", Broker: "b", QueueID: 3, MaxOffset: 8, ConsumerOffset: 9, PolledAt: now, Committed: true},
			{Group: "orders", Topic: "%RETRY%orders", Broker: "b", QueueID: 0, MaxOffset: 3, ConsumerOffset: 3, PolledAt: now, Committed: true},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	col := New(pool, nil, slog.New(slog.DiscardHandler))
	col.now = func() time.Time { return now.Add(30 * time.Second) }
	want := `
# HELP lagboard_group_clients Online clients of the group; absent when unknown.
# TYPE lagboard_group_clients gauge
lagboard_group_clients{cluster="prod",group="orders"} 2
# HELP lagboard_group_data_age_seconds Seconds since the group was last read successfully.
# TYPE lagboard_group_data_age_seconds gauge
lagboard_group_data_age_seconds{cluster="prod",group="orders"} 30
# HELP lagboard_group_lag_messages Messages not yet consumed by the group on the topic (max offset - committed offset, summed over queues).
# TYPE lagboard_group_lag_messages gauge
lagboard_group_lag_messages{cluster="prod",group="orders",topic="%RETRY%orders"} 0
lagboard_group_lag_messages{cluster="prod",group="orders",topic="t"} 10
# HELP lagboard_group_lag_seconds Age in seconds of the oldest message the group has not consumed on the topic; absent when unknown.
# TYPE lagboard_group_lag_seconds gauge
lagboard_group_lag_seconds{cluster="prod",group="orders",topic="t"} 42.5
# HELP lagboard_group_expired_messages Messages deleted by retention before the group read them, on the topic (min offset - committed offset, summed over queues).
# TYPE lagboard_group_expired_messages gauge
lagboard_group_expired_messages{cluster="prod",group="orders",topic="%RETRY%orders"} 0
lagboard_group_expired_messages{cluster="prod",group="orders",topic="t"} 2
`
	names := []string{"lagboard_group_clients", "lagboard_group_data_age_seconds", "lagboard_group_lag_messages",
		"lagboard_group_lag_seconds", "lagboard_group_expired_messages"}
	if err := testutil.CollectAndCompare(col, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// Exactly one status is 1.
	n, err := testutil.GatherAndCount(registry(t, col), "lagboard_group_status")
	if err != nil || n != len(Statuses) {
		t.Fatalf("status series = %d, %v; want %d", n, err, len(Statuses))
	}
	if v := testutil.ToFloat64(statusOf(t, col, "WARN")); v != 1 {
		t.Fatalf("WARN = %v, want 1", v)
	}
}
