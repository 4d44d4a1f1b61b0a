package mqadmin_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestJavaConsumer runs a real Java push consumer (the RocketMQ client jar of the broker's
// own version, from testdata/JavaConsumer.java). It asks the consumer for its running info
// through the broker, then resets the group's offsets while it is online; on 4.x that goes
// through the client (RESET_CONSUMER_CLIENT_OFFSET), on 5.x the broker does it itself.
func TestJavaConsumer(t *testing.T) {
	const n = 8
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic := stacktest.Name(t, "topic")
		group := stacktest.Name(t, "group")
		before := time.Now().Add(-time.Minute)
		stacktest.CreateTopic(t, r, topic, 2)
		stacktest.Produce(t, r, topic, n)
		out := stacktest.JavaConsumer(t, r, group, topic, stacktest.ConsumerOptions{})

		var cc mqadmin.ConsumerConnection
		eventually(t, ctx, "java consumer connection", func() error {
			var err error
			cc, err = c.ConsumerConnections(ctx, r.BrokerAddr, group)
			return err
		})
		if len(cc.Connections) != 1 || cc.Connections[0].Language != "JAVA" {
			t.Fatalf("connections %+v", cc.Connections)
		}
		eventually(t, ctx, "running info with committed offsets", func() error {
			info, err := c.ConsumerRunningInfo(ctx, r.BrokerAddr, group, cc.Connections[0].ClientID, false)
			if err != nil {
				return err
			}
			var committed int64
			held := 0
			for mq, q := range info.Queues {
				if mq.Topic == topic && mq.BrokerName == r.BrokerName {
					held++
					committed += q.CommitOffset
				}
			}
			if held != 2 || committed != n {
				return fmt.Errorf("%d queues of %s held, offsets summing to %d, want 2 and %d", held, topic, committed, n)
			}
			if info.Properties["PROP_CONSUME_TYPE"] != mqadmin.ConsumePassively || info.Properties["messageModel"] != mqadmin.Clustering {
				return fmt.Errorf("properties %v", info.Properties)
			}
			if len(info.Subscriptions) == 0 || len(info.Status) == 0 {
				return fmt.Errorf("subscriptions %v status %v", info.Subscriptions, info.Status)
			}
			return nil
		})

		// The 4.x client path needs a committed offset on every queue.
		eventually(t, ctx, "offsets committed to the broker", func() error {
			stats, err := c.ConsumeStats(ctx, r.BrokerAddr, group, topic)
			if err != nil {
				return err
			}
			if len(stats.Offsets) != 2 || stats.TotalLag() != 0 {
				return fmt.Errorf("stats %+v", stats.Offsets)
			}
			return nil
		})
		if _, err := c.ResetOffset(ctx, r.BrokerAddr, mqadmin.ResetOffsetRequest{
			Group: group, Topic: topic, Timestamp: before, Force: true}); err != nil {
			t.Fatal(err)
		}
		resetCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		eventually(t, resetCtx, "messages consumed again after the reset", func() error {
			if got := out.Output.Consumed(); got < 2*n {
				return fmt.Errorf("%d consumed, want %d", got, 2*n)
			}
			return nil
		})
	})
}
