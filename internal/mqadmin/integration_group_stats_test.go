package mqadmin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestGroupConsumeStats: a real consumer's group, found through its retry topic's route,
// with the retry queue in the merged table and lag equal to what the broker holds.
func TestGroupConsumeStats(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		// Redelivery from the retry topic waits for a delay level and a rebalance: about a
		// minute, more than testCtx allows.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		topic, group := stacktest.Name(t, "topic"), stacktest.Name(t, "group")
		stacktest.CreateTopic(t, r, topic, 2)
		stacktest.Produce(t, r, topic, 6)
		// The first delivery of "message 0" is refused, so the client sends it back to the
		// group's retry topic and consumes it again from there: the group then has offsets
		// on its retry topic too.
		stacktest.Consume(t, r, group, topic, stacktest.ConsumerOptions{RefuseOnce: "message 0"}).
			WaitConsumed(t, 6, 2*time.Minute)
		var st mqadmin.ConsumeStats
		eventually(t, ctx, "the group's committed offsets", func() error {
			var err error
			st, err = c.GroupConsumeStats(ctx, r.NamesrvAddr, group, "")
			if err != nil {
				return err
			}
			queues, retry := 0, 0
			for mq := range st.Offsets {
				switch {
				case mq.Topic == topic:
					queues++
				case strings.HasPrefix(mq.Topic, "%RETRY%"):
					retry++
				}
			}
			if lag := st.TotalLag(); queues != 2 || retry == 0 || lag != 0 {
				return fmt.Errorf("%d queues of the topic, %d retry queues, lag %d; want 2, some and 0 once everything is committed", queues, retry, lag)
			}
			return nil
		})
		if _, err := c.GroupConsumeStats(ctx, r.NamesrvAddr, stacktest.Name(t, "nobody"), ""); err == nil {
			t.Fatal("a group with no retry topic and no topic given was found")
		}
	})
}
