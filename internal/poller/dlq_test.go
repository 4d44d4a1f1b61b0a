package poller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestDeadLetters: a consumer that fails every message, allowed one redelivery, sends each
// message to the group's dead-letter topic. Lagboard counts them as the broker holds them,
// keeps their growth, and makes it the health reason.
func TestDeadLetters(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, version)
			ctx := context.Background()
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "failing")
			stacktest.CreateTopic(t, f.rmq, topic, 1)
			stacktest.Consume(t, f.rmq, group, topic, stacktest.ConsumerOptions{FailAll: true, MaxRetries: 1})
			waitUntil(t, 60*time.Second, "the group online", func() error {
				if _, err := f.admin.ConsumerConnections(ctx, f.rmq.BrokerAddr, group); err != nil {
					return err
				}
				return nil
			})
			f.poll(t)
			if g := f.group(t, group); g.DLQTotal != nil {
				t.Fatalf("dead letters %v before any message failed", *g.DLQTotal)
			}
			stacktest.Produce(t, f.rmq, topic, 3)
			waitUntil(t, 2*time.Minute, "three messages in the dead-letter topic", func() error {
				ts, err := f.admin.TopicStats(ctx, f.rmq.BrokerAddr, "%DLQ%"+group)
				if err != nil {
					return err
				}
				var n int64
				for _, o := range ts.Offsets {
					n += o.MaxOffset
				}
				if n != 3 {
					return fmt.Errorf("%d", n)
				}
				return nil
			})
			f.advance(10 * time.Second)
			f.poll(t)
			g := f.group(t, group)
			if g.DLQTotal == nil || *g.DLQTotal != 3 || g.DLQKept == nil || *g.DLQKept != 3 {
				t.Fatalf("dead letters %v kept %v, want 3 and 3", g.DLQTotal, g.DLQKept)
			}
			if !strings.Contains(g.HealthReason, "3 messages went to the dead-letter queue") || g.Health == poller.OK {
				t.Errorf("health %s %q, want the dead letters as a reason", g.Health, g.HealthReason)
			}
			pts, err := storage.DeadLetterHistory(ctx, f.db, f.clusterID, group, time.Time{})
			if err != nil || len(pts) == 0 || pts[len(pts)-1].Total != 3 {
				t.Fatalf("dead-letter history %+v, %v", pts, err)
			}
		})
	}
}
