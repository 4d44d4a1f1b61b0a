package metrics

import (
	"context"
	"log/slog"
	"math"
	"net/http"
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
	url := serve(t, col)
	if err := testutil.ScrapeAndCompare(url, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// Every status, exactly one of them 1.
	status := scrape(t, url)["lagboard_group_status"]
	if n := len(status.GetMetric()); n != len(Statuses) {
		t.Fatalf("status series = %d; want %d", n, len(Statuses))
	}
	for _, m := range status.GetMetric() {
		want := 0.0
		if labelValue(m, "status") == "WARN" {
			want = 1
		}
		if v := m.GetGauge().GetValue(); v != want || labelValue(m, "group") != "orders" {
			t.Errorf("%v = %v; want %v", m.GetLabel(), v, want)
		}
	}
}

// TestExpositionEscapesAndFormats writes label values that need escaping and every kind of
// value, and reads them back through Prometheus's own parser.
func TestExpositionEscapesAndFormats(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	col := New(nil, nil, slog.New(slog.DiscardHandler))
	col.readAt, col.cacheFor, col.now = now, time.Hour, func() time.Time { return now }
	odd := "a \\ \"quoted\" group\nwith a new line"
	secs, big := 0.125, int64(1)<<53
	col.lags = []storage.TopicLag{{Cluster: "prod", Group: odd, Topic: "t", Lag: big, LagSeconds: &secs}}
	col.more.drains = []storage.ClusterTopicDrain{{Cluster: "prod", TopicDrain: storage.TopicDrain{Group: odd, Topic: "t",
		State: storage.DrainGrowing, LagRate: &secs}}}
	mfs := scrape(t, serve(t, col))
	check := func(name string, want float64) {
		t.Helper()
		ms := mfs[name].GetMetric()
		if len(ms) != 1 || labelValue(ms[0], "group") != odd || ms[0].GetGauge().GetValue() != want {
			t.Errorf("%s: %v; want one series of group %q at %v", name, ms, odd, want)
		}
	}
	check("lagboard_group_lag_messages", float64(big))
	check("lagboard_group_lag_seconds", secs)
	check("lagboard_group_drain_seconds", math.Inf(1))
	check("lagboard_group_lag_growth_rate", secs)
	if mfs["lagboard_metrics_store_up"].GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("store up: %v", mfs["lagboard_metrics_store_up"])
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=0.5": true, "gzip;q=0": false, "gzip; q=0.000": false,
		"br, identity": false, "gzip;q=x": false, "x-gzip": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v; want %v", header, got, want)
		}
	}
}

// TestExpositionPassesPromtool serves every family, each with a series, and has Prometheus's
// own linter read the exposition.
func TestExpositionPassesPromtool(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	col := New(nil, nil, slog.New(slog.DiscardHandler))
	col.readAt, col.cacheFor, col.now = now, time.Hour, func() time.Time { return now }
	secs, clients, n := 0.5, int32(2), int64(4)
	col.lags = []storage.TopicLag{{Cluster: "prod", Group: "g", Topic: "t", Lag: 3, LagSeconds: &secs}}
	col.healths = []storage.GroupHealth{{Cluster: "prod", Group: "g", Health: "OK", Clients: &clients, PolledAt: now,
		Kind: "push", Inflight: &n, DLQTotal: &n, Redelivered: &n}}
	col.more.drains = []storage.ClusterTopicDrain{{Cluster: "prod", TopicDrain: storage.TopicDrain{Group: "g", Topic: "t",
		State: storage.DrainDraining, Seconds: &secs, LagRate: &secs, ProduceRate: &secs, ConsumeRate: &secs}}}
	url := serve(t, col)
	mfs := scrape(t, url)
	for _, f := range groupFamilies {
		if len(mfs[f.name].GetMetric()) == 0 {
			t.Errorf("no series of %s", f.name)
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cmd := promtoolCmd(t, "check", "metrics")
	cmd.Stdin = resp.Body
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
