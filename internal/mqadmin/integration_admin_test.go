package mqadmin_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// committedGroup creates a topic with queues queues, sends n messages, creates a group and
// commits offset max/2 on every queue. It returns the topic, the group and each queue's max.
func committedGroup(t *testing.T, ctx context.Context, r stacktest.RocketMQ, c *mqadmin.Client, queues, n int) (string, string, map[int]int64) {
	t.Helper()
	topic := stacktest.Name(t, "topic")
	group := stacktest.Name(t, "group")
	stacktest.CreateTopic(t, r, topic, queues)
	stacktest.Produce(t, r, topic, n)
	if err := c.CreateSubscriptionGroup(ctx, r.BrokerAddr, group); err != nil {
		t.Fatal(err)
	}
	maxOffsets := map[int]int64{}
	for q := range queues {
		m, err := c.MaxOffset(ctx, r.BrokerAddr, topic, q)
		if err != nil {
			t.Fatal(err)
		}
		maxOffsets[q] = m
		if err := c.UpdateConsumerOffset(ctx, r.BrokerAddr, group, topic, q, m/2); err != nil {
			t.Fatal(err)
		}
	}
	return topic, group, maxOffsets
}

func TestTopicConsumersAndBrokerConsumeStats(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic, group, maxOffsets := committedGroup(t, ctx, r, c, 2, 10)

		groups, err := c.TopicConsumers(ctx, r.BrokerAddr, topic)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(groups, []string{group}) {
			t.Fatalf("consumers of %s: %v, want [%s]", topic, groups, group)
		}

		all, err := c.BrokerConsumeStats(ctx, r.BrokerAddr, false)
		if err != nil {
			t.Fatal(err)
		}
		var wantLag, gotLag int64
		for _, m := range maxOffsets {
			wantLag += m - m/2
		}
		for _, s := range all.Groups[group] {
			for mq, o := range s.Offsets {
				if mq.Topic == topic {
					gotLag += o.Lag()
				}
			}
		}
		if gotLag != wantLag {
			t.Fatalf("lag of %s in broker-wide stats: %d, want %d (groups: %d)", group, gotLag, wantLag, len(all.Groups))
		}
		if all.TotalDiff < wantLag {
			t.Fatalf("broker total diff %d below the group's lag %d", all.TotalDiff, wantLag)
		}
		if !strings.HasSuffix(all.BrokerAddr, r.BrokerAddr[strings.LastIndex(r.BrokerAddr, ":"):]) {
			t.Logf("broker reports its address as %q", all.BrokerAddr)
		}
	})
}

func TestResetOffsetOffline(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		before := time.Now().Add(-time.Minute)
		topic, group, maxOffsets := committedGroup(t, ctx, r, c, 2, 10)
		conf, err := c.BrokerConfig(ctx, r.BrokerAddr)
		if err != nil {
			t.Fatal(err)
		}
		if conf["brokerName"] != r.BrokerName {
			t.Fatalf("broker config brokerName %q, want %q (%d keys)", conf["brokerName"], r.BrokerName, len(conf))
		}
		serverSide := conf["useServerSideResetOffset"] == "true"
		if want := strings.HasPrefix(r.Version, "5."); serverSide != want {
			t.Fatalf("useServerSideResetOffset=%q on %s", conf["useServerSideResetOffset"], r.Version)
		}

		req := mqadmin.ResetOffsetRequest{Group: group, Topic: topic, Timestamp: before, Force: true}
		table, err := c.ResetOffset(ctx, r.BrokerAddr, req)
		if !serverSide {
			// The client path needs online consumers; tools fall back to committing offsets.
			if !errors.Is(err, mqadmin.ErrConsumerNotOnline) {
				t.Fatalf("client-path reset with nobody online: %v, want ErrConsumerNotOnline", err)
			}
			err := c.ResetQueueOffset(ctx, r.BrokerAddr, group, topic, 1, 2)
			if !errors.Is(err, mqadmin.ErrNotSupported) {
				t.Fatalf("single-queue reset on a client-path broker: %v, want ErrNotSupported", err)
			}
			_, err = c.ResetOffset(ctx, r.BrokerAddr, mqadmin.ResetOffsetRequest{Group: stacktest.Name(t, "nooffsets"), Topic: topic, ToLatest: true})
			if !errors.Is(err, mqadmin.ErrSystemError) {
				t.Fatalf("client-path reset of a group without offsets: %v, want ErrSystemError", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(table) != 2 {
			t.Fatalf("reset table %v", table)
		}
		for mq, off := range table {
			if mq.Topic != topic || off != 0 {
				t.Fatalf("reset table %v, want offset 0 on both queues", table)
			}
		}
		assertCommitted(t, ctx, c, r, group, topic, map[int]int64{0: 0, 1: 0})

		if _, err := c.ResetOffset(ctx, r.BrokerAddr, mqadmin.ResetOffsetRequest{Group: group, Topic: topic, ToLatest: true}); err != nil {
			t.Fatal(err)
		}
		assertCommitted(t, ctx, c, r, group, topic, maxOffsets)

		if err := c.ResetQueueOffset(ctx, r.BrokerAddr, group, topic, 1, 2); err != nil {
			t.Fatal(err)
		}
		assertCommitted(t, ctx, c, r, group, topic, map[int]int64{0: maxOffsets[0], 1: 2})
	})
}

// assertCommitted checks a group's committed offsets as GET_CONSUME_STATS reports them.
func assertCommitted(t *testing.T, ctx context.Context, c *mqadmin.Client, r stacktest.RocketMQ, group, topic string, want map[int]int64) {
	t.Helper()
	stats, err := c.ConsumeStats(ctx, r.BrokerAddr, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]int64{}
	for mq, o := range stats.Offsets {
		got[mq.QueueID] = o.ConsumerOffset
	}
	for q, w := range want {
		if got[q] != w {
			t.Fatalf("committed offsets %v, want %v", got, want)
		}
	}
}
