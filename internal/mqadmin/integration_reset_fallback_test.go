package mqadmin_test

import (
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestResetWithFallbackOffline resets groups that have no client online. 5.x brokers reset
// server side; 4.x brokers refuse, and the offsets are written queue by queue.
func TestResetWithFallbackOffline(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic := stacktest.Name(t, "topic")
		stacktest.CreateTopic(t, r, topic, 2)
		before := time.Now().Add(-time.Second)
		sent := stacktest.Produce(t, r, topic, 10)
		maxOff := map[int]int64{}
		for _, s := range sent {
			maxOff[s.MessageQueue.QueueId] = s.QueueOffset + 1
		}
		wantPath := mqadmin.ResetDirect
		if r.Version[0] >= '5' {
			wantPath = mqadmin.ResetByBroker
		}

		t.Run("rewind a caught-up group", func(t *testing.T) {
			group := stacktest.Name(t, "g")
			if err := c.CreateSubscriptionGroup(ctx, r.BrokerAddr, group); err != nil {
				t.Fatal(err)
			}
			for q, m := range maxOff {
				if err := c.UpdateConsumerOffset(ctx, r.BrokerAddr, group, topic, q, m); err != nil {
					t.Fatal(err)
				}
			}
			res, err := c.ResetOffsetWithFallback(ctx, r.BrokerAddr, mqadmin.ResetOffsetRequest{Group: group, Topic: topic, Timestamp: before})
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != wantPath {
				t.Errorf("path %s, want %s", res.Path, wantPath)
			}
			if len(res.Queues) != 2 {
				t.Fatalf("%d queue results, want 2: %+v", len(res.Queues), res.Queues)
			}
			for _, q := range res.Queues {
				if q.Target != 0 || q.Before != maxOff[q.Queue.QueueID] || !q.Changed || q.Err != nil {
					t.Errorf("queue %d: %+v, want before %d, target 0, changed", q.Queue.QueueID, q, maxOff[q.Queue.QueueID])
				}
				got, err := c.QueryConsumerOffset(ctx, r.BrokerAddr, group, topic, q.Queue.QueueID)
				if err != nil || got != 0 {
					t.Errorf("queue %d committed %d, %v after the reset; want 0", q.Queue.QueueID, got, err)
				}
			}
		})

		t.Run("skip to latest for a group that never committed", func(t *testing.T) {
			group := stacktest.Name(t, "g")
			if err := c.CreateSubscriptionGroup(ctx, r.BrokerAddr, group); err != nil {
				t.Fatal(err)
			}
			res, err := c.ResetOffsetWithFallback(ctx, r.BrokerAddr, mqadmin.ResetOffsetRequest{Group: group, Topic: topic, ToLatest: true, Force: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range res.Queues {
				if q.Target != maxOff[q.Queue.QueueID] || q.Err != nil {
					t.Errorf("queue %d: %+v, want target %d", q.Queue.QueueID, q, maxOff[q.Queue.QueueID])
				}
			}
			for q, m := range maxOff {
				got, err := c.QueryConsumerOffset(ctx, r.BrokerAddr, group, topic, q)
				if err != nil || got != m {
					t.Errorf("queue %d committed %d, %v; want %d", q, got, err, m)
				}
			}
		})
	})
}
