package poller_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestHungBrokerEndsCycleOnTime freezes one of two real brokers (SIGSTOP: its sockets stay
// open and nothing answers, as a hung broker looks). The cycle must end within its deadline,
// keep the other broker's groups fresh, and mark only the frozen broker's groups stale,
// with their previous values kept.
func TestHungBrokerEndsCycleOnTime(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			a, err := stack.StartRocketMQ(ctx, stack.RocketMQOptions{Version: version})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Stop() //nolint:errcheck // test teardown
			b, err := stack.StartRocketMQ(ctx, stack.RocketMQOptions{Version: version, JoinNamesrv: a.NamesrvAddr, BrokerName: "broker-b"})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Stop() //nolint:errcheck // test teardown

			admin := mqadmin.New(mqadmin.Options{})
			defer admin.Close()
			groups := map[string]*stack.RocketMQ{"on-a": a, "on-b": b}
			for name, r := range groups {
				topic := "topic-" + name
				if err := admin.CreateTopic(ctx, r.BrokerAddr, mqadmin.TopicConfig{Topic: topic, ReadQueueNums: 2, WriteQueueNums: 2}); err != nil {
					t.Fatal(err)
				}
				if err := admin.CreateSubscriptionGroup(ctx, r.BrokerAddr, "group-"+name); err != nil {
					t.Fatal(err)
				}
				for q := range 2 {
					if err := admin.UpdateConsumerOffset(ctx, r.BrokerAddr, "group-"+name, topic, q, 0); err != nil {
						t.Fatal(err)
					}
				}
			}

			pool := stacktest.DB(t)
			c, err := storage.UpsertCluster(ctx, pool, "two", []string{a.NamesrvAddr})
			if err != nil {
				t.Fatal(err)
			}
			cfg := poller.Config{
				Cluster: "two", ClusterID: c.ID, NamesrvAddrs: []string{a.NamesrvAddr}, Admin: admin, Pool: pool,
				Interval: 10 * time.Second, CycleTimeout: 8 * time.Second, CallTimeout: 3 * time.Second,
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
			}
			p := poller.New(cfg)
			if rep := p.PollOnce(ctx); rep.Err != nil || len(rep.Stale) != 0 {
				t.Fatalf("first poll: %v, stale %v", rep.Err, rep.Stale)
			}

			if err := b.Pause(); err != nil {
				t.Fatal(err)
			}
			rep := p.PollOnce(ctx)
			if rep.Err != nil {
				t.Fatalf("poll with a hung broker failed as a whole: %v", rep.Err)
			}
			if rep.Duration > cfg.CycleTimeout+2*time.Second {
				t.Errorf("cycle took %s with a hung broker; its deadline is %s", rep.Duration, cfg.CycleTimeout)
			}
			if _, ok := rep.Stale["group-on-a"]; ok {
				t.Errorf("group on the healthy broker marked stale: %v", rep.Stale)
			}
			if reason := rep.Stale["group-on-b"]; !strings.Contains(reason, "broker-b") {
				t.Errorf("group on the hung broker: stale reason %q, want it to name broker-b", reason)
			}
			onA, err := storage.GroupStateOf(ctx, pool, c.ID, "group-on-a")
			if err != nil || onA.StaleSince != nil || onA.Health == poller.Unknown {
				t.Errorf("group on a: %+v, %v; want fresh", onA, err)
			}
			onB, err := storage.GroupStateOf(ctx, pool, c.ID, "group-on-b")
			if err != nil || onB.StaleSince == nil || onB.Health != poller.Unknown {
				t.Errorf("group on b: stale since %v health %s, %v; want stale and UNKNOWN", onB.StaleSince, onB.Health, err)
			}
			if onB.Lag == nil || *onB.Lag != 0 {
				t.Errorf("group on b lost its last known lag: %v", onB.Lag)
			}

			if err := b.Resume(); err != nil {
				t.Fatal(err)
			}
			if rep := p.PollOnce(ctx); rep.Err != nil || len(rep.Stale) != 0 {
				t.Fatalf("poll after the broker resumed: %v, stale %v", rep.Err, rep.Stale)
			}
			onB, err = storage.GroupStateOf(ctx, pool, c.ID, "group-on-b")
			if err != nil || onB.StaleSince != nil {
				t.Errorf("group on b after resume: stale since %v, %v", onB.StaleSince, err)
			}
		})
	}
}
