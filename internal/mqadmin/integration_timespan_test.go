package mqadmin_test

import (
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestConsumeTimeSpans checks the broker's lag in time: for a queue whose committed offset
// is behind, the age of the first unconsumed message, which was stored while Produce ran;
// zero for a queue that is caught up.
func TestConsumeTimeSpans(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic, group := stacktest.Name(t, "topic"), stacktest.Name(t, "group")
		stacktest.CreateTopic(t, r, topic, 2)
		if err := c.CreateSubscriptionGroup(ctx, r.BrokerAddr, group); err != nil {
			t.Fatal(err)
		}
		sentFrom := time.Now()
		sent := stacktest.Produce(t, r, topic, 10)
		sentTo := time.Now()
		perQueue := map[int]int64{}
		for _, s := range sent {
			perQueue[s.MessageQueue.QueueId]++
		}
		// Queue 0 consumed nothing, queue 1 everything.
		if err := c.UpdateConsumerOffset(ctx, r.BrokerAddr, group, topic, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := c.UpdateConsumerOffset(ctx, r.BrokerAddr, group, topic, 1, perQueue[1]); err != nil {
			t.Fatal(err)
		}
		askedFrom := time.Now()
		spans, err := c.ConsumeTimeSpans(ctx, r.BrokerAddr, group, topic)
		askedTo := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		if len(spans) != 2 {
			t.Fatalf("%d queues in the answer, want 2: %+v", len(spans), spans)
		}
		const slack = 50 * time.Millisecond // store times are milliseconds
		for _, s := range spans {
			switch s.Queue.QueueID {
			case 0:
				if perQueue[0] == 0 {
					t.Fatal("the producer put every message on queue 1")
				}
				lo, hi := askedFrom.Sub(sentTo)-slack, askedTo.Sub(sentFrom)+slack
				if s.Delay < lo || s.Delay > hi {
					t.Errorf("queue 0 behind: delay %s, want between %s and %s", s.Delay, lo, hi)
				}
				if s.Oldest.Before(sentFrom.Add(-slack)) || s.Newest.After(sentTo.Add(slack)) {
					t.Errorf("queue 0 store times %s..%s outside the sending window %s..%s", s.Oldest, s.Newest, sentFrom, sentTo)
				}
			case 1:
				if s.Delay != 0 {
					t.Errorf("queue 1 caught up: delay %s, want 0", s.Delay)
				}
			}
		}
	})
}
