package poller_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestFirstClientStartsWhereShown: a group whose client is online but suspended has fetched
// nothing and never committed. Lagboard shows where the client will start on each queue,
// from the broker's answer to the question a client asks first; once resumed, its first
// message on each queue must be at that offset. On a fresh queue whose first message is
// still in memory both brokers answer 0, so a client set to start from the last offset (the
// default) reads every message all the same. (TestExpiredBeforeConsumed shows the other
// case: a queue whose oldest messages are gone.)
func TestFirstClientStartsWhereShown(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, version)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "first")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			stacktest.Produce(t, f.rmq, topic, 10)
			c := stacktest.Consume(t, f.rmq, group, topic, stacktest.ConsumerOptions{FromLast: true, Paused: true})
			subscribed(t, f, group, topic)
			f.pollFresh(t, group)
			starts := startsShown(t, f.db, f.clusterID, group, topic, 2)
			for q, s := range starts {
				if s.offset != 0 || !strings.Contains(s.rule, "answers 0") {
					t.Errorf("queue %d: shown to start at %d (%q); the broker answers 0", q, s.offset, s.rule)
				}
			}
			c.Resume(t)
			c.WaitReceived(t, 10, time.Minute)
			checkFirstOffsets(t, c, starts)
		})
	}
}

// subscribed waits until the broker holds the group's client online, subscribed to topic:
// the client's heartbeat can reach a loaded broker after the client says it started.
func subscribed(t testing.TB, f *fixture, group, topic string) {
	t.Helper()
	waitUntil(t, time.Minute, group+" online, subscribed to "+topic, func() error {
		cc, err := f.admin.ConsumerConnections(t.Context(), f.rmq.BrokerAddr, group)
		if err != nil {
			return err
		}
		if _, ok := cc.Subscriptions[topic]; !ok {
			return fmt.Errorf("subscribed to %v", slices.Collect(maps.Keys(cc.Subscriptions)))
		}
		return nil
	})
}

type startShown struct {
	offset int64
	rule   string
}

// startsShown returns, per queue of topic, where Lagboard last showed the group's first
// client will start; each of the want queues must be shown never committed, with a start.
func startsShown(t *testing.T, db storage.DBTX, clusterID int64, group, topic string, want int) map[int]startShown {
	t.Helper()
	qs, err := storage.QueueStates(t.Context(), db, clusterID, group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]startShown{}
	for _, q := range qs {
		if q.Topic != topic {
			continue
		}
		if q.Committed || q.StartOffset == nil || q.StartRule == nil {
			t.Fatalf("queue %d: committed %v, start %v (%v); want never committed with a start", q.QueueID, q.Committed, deref(q.StartOffset), deref(q.StartRule))
		}
		out[int(q.QueueID)] = startShown{*q.StartOffset, *q.StartRule}
	}
	if len(out) != want {
		t.Fatalf("%d queues of %s shown, want %d", len(out), topic, want)
	}
	return out
}

// checkFirstOffsets checks that the consumer's first message on each queue was where
// Lagboard showed it would start.
func checkFirstOffsets(t *testing.T, c *stacktest.Consumer, starts map[int]startShown) {
	t.Helper()
	first := c.Output.FirstOffsets()
	for q, s := range starts {
		got, ok := first[q]
		if !ok {
			t.Errorf("queue %d: no message received", q)
			continue
		}
		if got != s.offset {
			t.Errorf("queue %d: the client started at %d; Lagboard showed %d (%s)", q, got, s.offset, s.rule)
		}
	}
}
