package poller_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// waitUntil polls cond every 100 ms until it returns nil, failing with its last error after
// within.
func waitUntil(t testing.TB, within time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s: %v", what, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// committedAt waits until the broker holds, for group on every queue of topic, a committed
// offset equal to the queue's max offset.
func committedAt(t testing.TB, f *fixture, group, topic string, within time.Duration) {
	t.Helper()
	waitUntil(t, within, "offsets of "+group+" committed up to the newest message", func() error {
		ts, err := f.admin.TopicStats(context.Background(), f.rmq.BrokerAddr, topic)
		if err != nil {
			return err
		}
		all, err := f.admin.BrokerOffsets(context.Background(), f.rmq.BrokerAddr)
		if err != nil {
			return err
		}
		got := all.Committed[mqadmin.GroupTopic{Group: group, Topic: topic}]
		for mq, o := range ts.Offsets {
			if off, ok := got[mq.QueueID]; !ok || off != o.MaxOffset {
				return fmt.Errorf("queue %d: committed %d (present %v), max %d", mq.QueueID, off, ok, o.MaxOffset)
			}
		}
		return nil
	})
}

// sameAsBroker checks that the poller's stored queues of group equal what the broker answers
// GET_CONSUME_STATS (the request mqadmin consumerProgress makes) for every committed queue,
// read right after the poll. It retries the poll when a consumer moved in between.
func sameAsBroker(t *testing.T, f *fixture, group, topic string) []storage.QueueState {
	t.Helper()
	ctx := context.Background()
	for attempt := 0; ; attempt++ {
		f.poll(t)
		qs, err := storage.QueueStates(ctx, f.db, f.clusterID, group)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.admin.GroupConsumeStats(ctx, f.rmq.NamesrvAddr, group, topic)
		if err != nil {
			t.Fatal(err)
		}
		diff := compareQueues(qs, st, topic)
		if diff == "" {
			return qs
		}
		if attempt == 5 {
			t.Fatalf("Lagboard and the broker differ on %s:\n%s", group, diff)
		}
		f.advance(10 * time.Second)
	}
}

func compareQueues(qs []storage.QueueState, st mqadmin.ConsumeStats, topic string) string {
	var b strings.Builder
	seen := 0
	for _, q := range qs {
		if !q.Committed || q.Topic != topic {
			continue
		}
		o, ok := st.Offsets[mqadmin.MessageQueue{Topic: q.Topic, BrokerName: q.Broker, QueueID: int(q.QueueID)}]
		if !ok {
			fmt.Fprintf(&b, "%s/%d: not in the broker's answer\n", q.Topic, q.QueueID)
			continue
		}
		seen++
		if o.BrokerOffset != q.MaxOffset || o.ConsumerOffset != q.ConsumerOffset {
			fmt.Fprintf(&b, "%s/%d: Lagboard max %d committed %d, broker %d %d\n",
				q.Topic, q.QueueID, q.MaxOffset, q.ConsumerOffset, o.BrokerOffset, o.ConsumerOffset)
		}
	}
	if seen == 0 {
		b.WriteString("no committed queue compared\n")
	}
	return b.String()
}

// TestPullConsumer runs rocketmq-client-go's pull consumer, which sets its offsets by hand
// (UpdateOffset) and persists them to the broker. Lagboard must show the group as a pull
// group with the broker's numbers, and once its client is gone must not call it OFFLINE: a
// pull group need hold no connection.
func TestPullConsumer(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, version)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "pull")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			stacktest.Produce(t, f.rmq, topic, 20)
			c := stacktest.Consume(t, f.rmq, group, topic, stacktest.ConsumerOptions{Pull: true})
			c.WaitConsumed(t, 20, 90*time.Second)
			committedAt(t, f, group, topic, 90*time.Second)

			qs := sameAsBroker(t, f, group, topic)
			g := f.group(t, group)
			if g.Kind != poller.KindPull || g.KindInferred {
				t.Errorf("kind %q (inferred %v), want pull said by its client", g.Kind, g.KindInferred)
			}
			if g.Lag == nil || *g.Lag != 0 || g.Health != poller.OK {
				t.Errorf("lag %v health %s %q, want 0 and OK", g.Lag, g.Health, g.HealthReason)
			}
			for _, q := range qs {
				if q.Topic == topic && !q.Committed {
					t.Errorf("queue %d not committed", q.QueueID)
				}
			}

			c.Stop()
			stacktest.Produce(t, f.rmq, topic, 6)
			waitUntil(t, 60*time.Second, "the client gone from the broker", func() error {
				if cc, err := f.admin.ConsumerConnections(context.Background(), f.rmq.BrokerAddr, group); err == nil && len(cc.Connections) > 0 {
					return fmt.Errorf("%d connections", len(cc.Connections))
				}
				return nil
			})
			f.advance(10 * time.Second)
			f.poll(t)
			f.advance(2 * time.Minute)
			f.poll(t)
			g = f.group(t, group)
			if g.Kind != poller.KindPull || !g.KindInferred {
				t.Errorf("kind %q (inferred %v), want pull remembered", g.Kind, g.KindInferred)
			}
			if g.Lag == nil || *g.Lag != 6 {
				t.Errorf("lag %v, want 6", g.Lag)
			}
			if g.Health != poller.Stall || !strings.Contains(g.HealthReason, "pull group") {
				t.Errorf("health %s %q, want STALL naming the pull group, never OFFLINE", g.Health, g.HealthReason)
			}
		})
	}
}

// TestPullConsumerLocalOffsets runs a pull consumer that never writes its offsets to the
// broker: Lagboard sees its client and its queues but no offsets, and says so instead of
// counting every message as lag.
func TestPullConsumerLocalOffsets(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, version)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "local")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			stacktest.Produce(t, f.rmq, topic, 8)
			c := stacktest.Consume(t, f.rmq, group, topic, stacktest.ConsumerOptions{Pull: true, LocalOffsets: true})
			c.WaitConsumed(t, 8, 90*time.Second)
			waitUntil(t, 60*time.Second, "the pull client registered", func() error {
				cc, err := f.admin.ConsumerConnections(context.Background(), f.rmq.BrokerAddr, group)
				if err != nil {
					return err
				}
				if len(cc.Connections) == 0 {
					return fmt.Errorf("no connection")
				}
				return nil
			})
			f.poll(t)
			g := f.group(t, group)
			qs0, _ := storage.QueueStates(context.Background(), f.db, f.clusterID, group)
			for _, q := range qs0 {
				t.Logf("queue %+v", q)
			}
			t.Logf("group %+v lag %v", g, g.Lag)
			if g.Kind != poller.KindPull {
				t.Errorf("kind %q, want pull", g.Kind)
			}
			if g.Lag != nil || g.Health != poller.Unknown || !strings.Contains(g.HealthReason, "kept by its application") {
				t.Errorf("lag %v health %s %q, want unknown lag: the offsets are the application's", g.Lag, g.Health, g.HealthReason)
			}
			qs, err := storage.QueueStates(context.Background(), f.db, f.clusterID, group)
			if err != nil {
				t.Fatal(err)
			}
			var main []storage.QueueState
			for _, q := range qs {
				if q.Topic == topic {
					main = append(main, q)
				}
			}
			if len(main) != 2 {
				t.Fatalf("%d queues of %s, want its 2", len(main), topic)
			}
			for _, q := range main {
				if q.Committed || q.StartOffset != nil || q.StartRule == nil || !strings.Contains(*q.StartRule, "application") {
					t.Errorf("queue %d: committed %v start %v rule %v", q.QueueID, q.Committed, q.StartOffset, q.StartRule)
				}
			}
		})
	}
}

// TestPullGroupFromOffsetsOnly: a group that committed offsets without ever registering a
// client (no subscription group config, no retry topic) is found from the broker's offset
// table and shown as a pull group. 5.3 brokers refuse commits from unknown groups, so such a
// group exists on 4.x only.
func TestPullGroupFromOffsetsOnly(t *testing.T) {
	ran := false
	for _, version := range stacktest.Versions(t) {
		if !strings.HasPrefix(version, "4.") {
			continue
		}
		ran = true
		t.Run(version, func(t *testing.T) {
			f := newFixture(t, version)
			ctx := context.Background()
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "bare")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			stacktest.Produce(t, f.rmq, topic, 10)
			for q := range 2 {
				if err := f.admin.UpdateConsumerOffset(ctx, f.rmq.BrokerAddr, group, topic, q, 1); err != nil {
					t.Fatal(err)
				}
			}
			subs, err := f.admin.SubscriptionGroups(ctx, f.rmq.BrokerAddr)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := subs[group]; ok {
				t.Fatal("the broker created a config for the group: this test needs one without")
			}
			sameAsBroker(t, f, group, topic)
			g := f.group(t, group)
			if g.Kind != poller.KindPull || !g.KindInferred {
				t.Errorf("kind %q inferred %v, want pull, inferred", g.Kind, g.KindInferred)
			}
			if g.Health == poller.Offline {
				t.Errorf("a pull group with no connection called OFFLINE: %q", g.HealthReason)
			}
		})
	}
	if !ran {
		t.Fatal("no 4.x version to run on")
	}
}

// TestOrderlyConsumer runs an orderly push consumer stuck on one message: that message's
// queue stands still, locked by the client, while the other queue keeps moving. Lagboard
// must name the blocked queue as the reason, and show who holds each queue's lock where the
// client reports it: the Java client does; rocketmq-client-go answers running-info requests
// without a body, and the page must say so.
func TestOrderlyConsumer(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		for _, client := range []string{"go", "java"} {
			t.Run(version+"/"+client, func(t *testing.T) {
				t.Parallel()
				testOrderly(t, version, client)
			})
		}
	}
}

func testOrderly(t *testing.T, version, client string) {
	f := newFixture(t, version)
	ctx := context.Background()
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "ordered")
	stacktest.CreateTopic(t, f.rmq, topic, 2)
	sent := stacktest.Produce(t, f.rmq, topic, 10)
	stuck := sent[3]
	o := stacktest.ConsumerOptions{Orderly: true, StuckOn: "message 3"}
	var c *stacktest.Consumer
	if client == "java" {
		c = stacktest.JavaConsumer(t, f.rmq, group, topic, o)
	} else {
		c = stacktest.Consume(t, f.rmq, group, topic, o)
	}
	c.WaitReceived(t, 1, 90*time.Second)
	waitUntil(t, 90*time.Second, "the other queue committed", func() error {
		for q, off := range f.committedOn(t, group, topic) {
			if q != stuck.MessageQueue.QueueId && off > 0 {
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
	// The stuck queue's clients commit what came before the stuck message a few seconds
	// after consuming it; a poll before that commit would see the queue move later and
	// rightly not call it blocked yet.
	waitUntil(t, 90*time.Second, "the stuck queue committed up to the stuck message", func() error {
		if off := f.committedOn(t, group, topic)[stuck.MessageQueue.QueueId]; off != stuck.QueueOffset {
			return fmt.Errorf("committed %d, the stuck message is at %d", off, stuck.QueueOffset)
		}
		return nil
	})
	f.poll(t)
	before := f.committedOn(t, group, topic)
	stacktest.Produce(t, f.rmq, topic, 6)
	waitUntil(t, 60*time.Second, "the moving queue moved again", func() error {
		now := f.committedOn(t, group, topic)
		for q, off := range now {
			if q != stuck.MessageQueue.QueueId && off > before[q] {
				return nil
			}
		}
		return fmt.Errorf("committed %v, before %v", now, before)
	})
	f.advance(2 * time.Minute)
	qs := sameAsBroker(t, f, group, topic)

	g := f.group(t, group)
	blocked := fmt.Sprintf("queue %s/%s/%d blocked at offset %d", topic, stuck.MessageQueue.BrokerName,
		stuck.MessageQueue.QueueId, stuck.QueueOffset)
	if g.Health != poller.Stall || !strings.Contains(g.HealthReason, blocked) {
		t.Errorf("health %s %q, want STALL with %q", g.Health, g.HealthReason, blocked)
	}
	clients, err := storage.ClientStates(ctx, f.db, f.clusterID, group)
	if err != nil || len(clients) != 1 {
		t.Fatalf("clients %v, %v", clients, err)
	}
	for _, q := range qs {
		if q.Topic != topic {
			continue
		}
		held := q.OwnerClient != nil && *q.OwnerClient == clients[0].ClientID && q.Locked != nil && *q.Locked
		switch client {
		case "java":
			if !held {
				t.Errorf("queue %d: owner %v locked %v, want locked by %s", q.QueueID, q.OwnerClient, q.Locked, clients[0].ClientID)
			}
		case "go":
			// rocketmq-client-go answers without its queues while its statistics hold NaN,
			// which is most of the time for a consumer stuck on one message; when it does
			// answer, its queues are its own.
			reported := q.OwnerClient != nil && *q.OwnerClient == clients[0].ClientID && clients[0].OffsetsError == nil
			silent := q.OwnerClient == nil && clients[0].OffsetsError != nil && strings.Contains(*clients[0].OffsetsError, "without")
			if !reported && !silent {
				t.Errorf("queue %d: owner %v, client error %v: want no owner and the client's row saying why, or the client as owner",
					q.QueueID, text(q.OwnerClient), text(clients[0].OffsetsError))
			}
		}
	}
	if client == "java" {
		if g.Orderly == nil || !*g.Orderly || !strings.Contains(g.HealthReason, "ordered "+blocked) {
			t.Errorf("orderly %v, reason %q: want the Java client's report of orderly consumption", g.Orderly, g.HealthReason)
		}
	}

	// The client goes: what it said of its queues goes with it.
	c.Stop()
	waitUntil(t, 60*time.Second, "the client gone from the broker", func() error {
		if _, err := f.admin.ConsumerConnections(ctx, f.rmq.BrokerAddr, group); !errors.Is(err, mqadmin.ErrConsumerNotOnline) {
			return fmt.Errorf("connections: %v", err)
		}
		return nil
	})
	f.advance(2 * time.Minute)
	f.poll(t)
	qs, err = storage.QueueStates(ctx, f.db, f.clusterID, group)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.OwnerClient != nil || q.Locked != nil {
			t.Errorf("queue %s/%d after the client left: owner %s locked %v, want neither", q.Topic, q.QueueID, text(q.OwnerClient), q.Locked)
		}
	}
}

// committedOn returns the broker's committed offsets of group on topic, by queue.
func (f *fixture) committedOn(t testing.TB, group, topic string) map[int]int64 {
	t.Helper()
	all, err := f.admin.BrokerOffsets(context.Background(), f.rmq.BrokerAddr)
	if err != nil {
		t.Fatal(err)
	}
	return all.Committed[mqadmin.GroupTopic{Group: group, Topic: topic}]
}

// TestOffsetPastTheEnd: a committed offset beyond the queue's newest message, written as
// mqadmin resetOffsetByTime -q -o writes it (UPDATE_CONSUMER_OFFSET), means nothing waits
// there: lag 0 and a warning, not an unknown lag and an UNKNOWN group.
func TestOffsetPastTheEnd(t *testing.T) {
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, version)
			ctx := context.Background()
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "past")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			stacktest.Produce(t, f.rmq, topic, 10)
			if err := f.admin.CreateSubscriptionGroup(ctx, f.rmq.BrokerAddr, group); err != nil {
				t.Fatal(err)
			}
			maxOff := f.maxOffsets(t, topic, 10)
			if err := f.admin.UpdateConsumerOffset(ctx, f.rmq.BrokerAddr, group, topic, 0, maxOff[0]+10); err != nil {
				t.Fatal(err)
			}
			if err := f.admin.UpdateConsumerOffset(ctx, f.rmq.BrokerAddr, group, topic, 1, 1); err != nil {
				t.Fatal(err)
			}
			qs := sameAsBroker(t, f, group, topic)
			g := f.group(t, group)
			if g.Lag == nil || *g.Lag != maxOff[1]-1 || g.PastEnd != 1 {
				t.Errorf("lag %v past end %d, want %d and 1", g.Lag, g.PastEnd, maxOff[1]-1)
			}
			if g.Health == poller.Unknown || !strings.Contains(g.HealthReason, "1 queue committed past the newest message") {
				t.Errorf("health %s %q, want a known status with the queue past the end in its reason", g.Health, g.HealthReason)
			}
			for _, q := range qs {
				if q.Topic == topic && q.QueueID == 0 && (q.ConsumerOffset != maxOff[0]+10 || q.LagSeconds == nil || *q.LagSeconds != 0) {
					t.Errorf("queue 0: committed %d lag in time %v, want %d and 0", q.ConsumerOffset, q.LagSeconds, maxOff[0]+10)
				}
			}
		})
	}
}

// text is a string pointer's value for messages, "<nil>" for nil.
func text(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
