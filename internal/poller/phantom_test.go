package poller_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestOnlyRealGroupsListed: a topic with a producer and two online consumer groups lists
// exactly those two groups. RocketMQ 5.3.3 also answers the topic's own name when asked who
// consumes the topic (its ConsumerManager records the subscribed topic where it means the
// group); that name is no group and must not be listed.
func TestOnlyRealGroupsListed(t *testing.T) {
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, version)
			ctx := context.Background()
			topic := stacktest.Name(t, "t")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			stacktest.Produce(t, f.rmq, topic, 4)
			one, two := stacktest.Name(t, "one"), stacktest.Name(t, "two")
			c1 := stacktest.Consume(t, f.rmq, one, topic, stacktest.ConsumerOptions{})
			c2 := stacktest.Consume(t, f.rmq, two, topic, stacktest.ConsumerOptions{})
			c1.WaitConsumed(t, 4, 90*time.Second)
			c2.WaitConsumed(t, 4, 90*time.Second)

			byWho, err := f.admin.TopicConsumers(ctx, f.rmq.BrokerAddr, topic)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("the broker says %s is consumed by %v", topic, byWho)

			f.poll(t)
			all, err := storage.GroupStates(ctx, f.db, f.clusterID)
			if err != nil {
				t.Fatal(err)
			}
			var mine []string
			for _, g := range all {
				// This run's groups and any named after its topic (the shared broker holds
				// other runs' groups of the same test).
				if g.Group == one || g.Group == two || strings.Contains(g.Group, topic) {
					mine = append(mine, g.Group)
				}
			}
			slices.Sort(mine)
			want := []string{one, two}
			slices.Sort(want)
			if !slices.Equal(mine, want) {
				t.Fatalf("groups listed %v, want exactly %v", mine, want)
			}
		})
	}
}
