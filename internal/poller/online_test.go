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

// TestGroupOnlyOnline: on a 4.x broker that does not create subscription groups by itself,
// a consumer's group has no config and no retry topic, only its online client. The poller
// still finds it, by asking who consumes each topic. 5.x brokers do not register such a
// client at all (seen on 5.3.3: no connection within a minute), so the case exists on 4.x
// only and the test runs on the 4.x versions.
func TestGroupOnlyOnline(t *testing.T) {
	t.Parallel()
	ran := false
	for _, version := range stacktest.Versions(t) {
		if !strings.HasPrefix(version, "4.") {
			continue
		}
		ran = true
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			rmq, err := stack.StartRocketMQ(ctx, stack.RocketMQOptions{Version: version,
				ExtraBrokerConf: map[string]string{"autoCreateSubscriptionGroup": "false"}})
			if err != nil {
				t.Fatal(err)
			}
			defer rmq.Stop() //nolint:errcheck // test teardown
			r := stacktest.FromStack(rmq)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
			stacktest.CreateTopic(t, r, topic, 2)
			stacktest.Consume(t, r, group, topic, stacktest.ConsumerOptions{})

			admin := mqadmin.New(mqadmin.Options{})
			defer admin.Close()
			deadline := time.Now().Add(60 * time.Second)
			for { // the client's first heartbeat registers it
				if cc, err := admin.ConsumerConnections(ctx, r.BrokerAddr, group); err == nil && len(cc.Connections) == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the consumer never showed up on the broker")
				}
				time.Sleep(100 * time.Millisecond)
			}
			subs, err := admin.SubscriptionGroups(ctx, r.BrokerAddr)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := subs[group]; ok {
				t.Fatal("the broker created the group's config: this test needs one that does not")
			}

			pool := stacktest.DB(t)
			c, err := storage.UpsertCluster(ctx, pool, "online", []string{r.NamesrvAddr})
			if err != nil {
				t.Fatal(err)
			}
			p := poller.New(poller.Config{Cluster: "online", ClusterID: c.ID, NamesrvAddrs: []string{r.NamesrvAddr},
				Admin: admin, Pool: pool, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
			if rep := p.PollOnce(ctx); rep.Err != nil {
				t.Fatal(rep.Err)
			}
			g, err := storage.GroupStateOf(ctx, pool, c.ID, group)
			if err != nil {
				t.Fatalf("group known only by its online client was not found: %v", err)
			}
			if g.Clients == nil || *g.Clients != 1 {
				t.Errorf("clients %v, want 1", g.Clients)
			}
		})
	}
	if !ran {
		t.Fatal("no 4.x version in scripts/rocketmq/versions to run this test on")
	}
}
