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

// These tests run against real name servers and brokers of every supported version (see
// scripts/rocketmq/versions), started once per test binary by stacktest. They are what
// proves the operations; the fault server in the package's own tests only injects faults.

func TestMain(m *testing.M) { stacktest.Main(m) }

// forEachVersion runs f against each supported RocketMQ version with a fresh admin client.
func forEachVersion(t *testing.T, f func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client)) {
	t.Helper()
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			r := stacktest.Broker(t, v)
			c := mqadmin.New(mqadmin.Options{})
			t.Cleanup(func() { c.Close() })
			f(t, r, c)
		})
	}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond every 200 ms until it returns nil or ctx ends, then fails with the
// last error.
func eventually(t *testing.T, ctx context.Context, what string, cond func() error) {
	t.Helper()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func TestClusterInfoFindsBroker(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ci, err := c.ClusterInfo(testCtx(t), r.NamesrvAddr)
		if err != nil {
			t.Fatal(err)
		}
		b, ok := ci.Brokers[r.BrokerName]
		if !ok {
			t.Fatalf("broker %s not in %+v", r.BrokerName, ci)
		}
		if b.MasterAddr() != r.BrokerAddr || b.Cluster != r.ClusterName {
			t.Fatalf("broker %+v, want master %s in %s", b, r.BrokerAddr, r.ClusterName)
		}
		if ci.MasterAddrs()[r.BrokerName] != r.BrokerAddr {
			t.Fatalf("MasterAddrs %v", ci.MasterAddrs())
		}
		if !slices.Contains(ci.Clusters[r.ClusterName], r.BrokerName) {
			t.Fatalf("cluster table %v", ci.Clusters)
		}
	})
}

func TestCreateTopicThenRoute(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic := stacktest.Name(t, "topic")
		if _, err := c.TopicRoute(ctx, r.NamesrvAddr, topic); !errors.Is(err, mqadmin.ErrTopicNotExist) {
			t.Fatalf("route of a new topic: %v, want ErrTopicNotExist", err)
		}
		if err := c.CreateTopic(ctx, r.BrokerAddr, mqadmin.TopicConfig{Topic: topic, ReadQueueNums: 3, WriteQueueNums: 3}); err != nil {
			t.Fatal(err)
		}
		var route mqadmin.TopicRoute
		eventually(t, ctx, "route of "+topic, func() error {
			var err error
			route, err = c.TopicRoute(ctx, r.NamesrvAddr, topic)
			return err
		})
		want := mqadmin.QueueData{BrokerName: r.BrokerName, ReadQueueNums: 3, WriteQueueNums: 3, Perm: mqadmin.PermRead | mqadmin.PermWrite}
		if len(route.Queues) != 1 || route.Queues[0] != want {
			t.Fatalf("queues %+v, want [%+v]", route.Queues, want)
		}
		if len(route.Brokers) != 1 || route.Brokers[0].MasterAddr() != r.BrokerAddr {
			t.Fatalf("brokers %+v", route.Brokers)
		}
		topics, err := c.TopicList(ctx, r.NamesrvAddr)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(topics, topic) {
			t.Fatalf("topic list lacks %s: %v", topic, topics)
		}
	})
}

func TestOffsetsAfterProducing(t *testing.T) {
	const n = 24
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic := stacktest.Name(t, "topic")
		before := time.Now().Add(-time.Second)
		stacktest.CreateTopic(t, r, topic, 4)
		sent := stacktest.Produce(t, r, topic, n)
		after := time.Now().Add(time.Second)

		perQueue := map[int]int64{}
		for _, s := range sent {
			perQueue[s.MessageQueue.QueueId]++
		}
		var sumMax int64
		for q := range 4 {
			maxOff, err := c.MaxOffset(ctx, r.BrokerAddr, topic, q)
			if err != nil {
				t.Fatal(err)
			}
			if maxOff != perQueue[q] {
				t.Errorf("queue %d: max offset %d, sent %d", q, maxOff, perQueue[q])
			}
			sumMax += maxOff
			minOff, err := c.MinOffset(ctx, r.BrokerAddr, topic, q)
			if err != nil || minOff != 0 {
				t.Errorf("queue %d: min offset %d, %v", q, minOff, err)
			}
			if maxOff == 0 {
				continue
			}
			first, err := c.EarliestMsgStoreTime(ctx, r.BrokerAddr, topic, q)
			if err != nil || first.Before(before) || first.After(after) {
				t.Errorf("queue %d: earliest store time %v (%v), want within [%v, %v]", q, first, err, before, after)
			}
			if off, err := c.SearchOffsetByTimestamp(ctx, r.BrokerAddr, topic, q, before); err != nil || off != 0 {
				t.Errorf("queue %d: offset at %v = %d, %v; want 0", q, before, off, err)
			}
			// Past the tail 5.x answers the max offset, 4.9.x the offset of the last message.
			wantFuture := maxOff
			if strings.HasPrefix(r.Version, "4.") {
				wantFuture = maxOff - 1
			}
			if off, err := c.SearchOffsetByTimestamp(ctx, r.BrokerAddr, topic, q, after.Add(time.Hour)); err != nil || off != wantFuture {
				t.Errorf("queue %d: offset in the future = %d, %v; want %d", q, off, err, wantFuture)
			}
		}
		if sumMax != n {
			t.Fatalf("max offsets sum to %d, want %d", sumMax, n)
		}

		ts, err := c.TopicStats(ctx, r.BrokerAddr, topic)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for mq, o := range ts.Offsets {
			if mq.Topic != topic || mq.BrokerName != r.BrokerName {
				t.Errorf("queue %v in stats of %s", mq, topic)
			}
			if o.MaxOffset != perQueue[mq.QueueID] {
				t.Errorf("%v: stats max %d, sent %d", mq, o.MaxOffset, perQueue[mq.QueueID])
			}
			sum += o.MaxOffset - o.MinOffset
		}
		if len(ts.Offsets) != 4 || sum != n {
			t.Fatalf("topic stats: %d queues summing to %d, want 4 and %d", len(ts.Offsets), sum, n)
		}
	})
}

func TestCommittedOffsetAndLag(t *testing.T) {
	const n = 20
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic := stacktest.Name(t, "topic")
		group := stacktest.Name(t, "group")
		stacktest.CreateTopic(t, r, topic, 2)
		stacktest.Produce(t, r, topic, n)
		if err := c.CreateSubscriptionGroup(ctx, r.BrokerAddr, group); err != nil {
			t.Fatal(err)
		}

		// No commit yet: 5.x says so (setZeroIfNotFound=false); 4.9.x answers 0 while the
		// queue's first message is still stored.
		off, err := c.QueryConsumerOffset(ctx, r.BrokerAddr, group, topic, 0)
		if strings.HasPrefix(r.Version, "4.") {
			if err != nil || off != 0 {
				t.Fatalf("offset before any commit on %s: %d, %v; want 0", r.Version, off, err)
			}
		} else if !errors.Is(err, mqadmin.ErrQueryNotFound) {
			t.Fatalf("offset before any commit on %s: %d, %v; want ErrQueryNotFound", r.Version, off, err)
		}

		maxOffsets := map[int]int64{}
		committed := map[int]int64{}
		for q := range 2 {
			m, err := c.MaxOffset(ctx, r.BrokerAddr, topic, q)
			if err != nil {
				t.Fatal(err)
			}
			maxOffsets[q], committed[q] = m, m/2
			if err := c.UpdateConsumerOffset(ctx, r.BrokerAddr, group, topic, q, committed[q]); err != nil {
				t.Fatal(err)
			}
			got, err := c.QueryConsumerOffset(ctx, r.BrokerAddr, group, topic, q)
			if err != nil || got != committed[q] {
				t.Fatalf("queue %d: committed %d, queried %d, %v", q, committed[q], got, err)
			}
		}

		stats, err := c.ConsumeStats(ctx, r.BrokerAddr, group, topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(stats.Offsets) != 2 {
			t.Fatalf("consume stats for %d queues: %+v", len(stats.Offsets), stats)
		}
		var wantLag int64
		for q := range 2 {
			mq := mqadmin.MessageQueue{Topic: topic, BrokerName: r.BrokerName, QueueID: q}
			o, ok := stats.Offsets[mq]
			if !ok {
				t.Fatalf("no stats for %v in %+v", mq, stats.Offsets)
			}
			if o.BrokerOffset != maxOffsets[q] || o.ConsumerOffset != committed[q] || o.Lag() != maxOffsets[q]-committed[q] {
				t.Errorf("%v: %+v, want broker %d consumer %d", mq, o, maxOffsets[q], committed[q])
			}
			if fiveX := strings.HasPrefix(r.Version, "5."); o.HasPullOffset != fiveX {
				t.Errorf("%v: HasPullOffset %v on %s", mq, o.HasPullOffset, r.Version)
			}
			wantLag += maxOffsets[q] - committed[q]
		}
		if stats.TotalLag() != wantLag {
			t.Fatalf("total lag %d, want %d", stats.TotalLag(), wantLag)
		}
	})
}
