package poller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

func (f *fixture) wantHealth(t *testing.T, group, status, reason string) {
	t.Helper()
	g := f.group(t, group)
	if g.Health != status || !strings.Contains(g.HealthReason, reason) {
		t.Fatalf("health = %s %q, want %s containing %q", g.Health, g.HealthReason, status, reason)
	}
}

// TestRewind: committed offsets going backwards, as a reset does, turns REWIND.
func TestRewind(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t, version)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			if err := f.admin.CreateSubscriptionGroup(context.Background(), f.rmq.BrokerAddr, group); err != nil {
				t.Fatal(err)
			}
			stacktest.Produce(t, f.rmq, topic, 20)
			f.commit(t, group, topic, f.maxOffsets(t, topic, 20))
			f.poll(t)
			f.wantHealth(t, group, poller.OK, "caught up")

			f.commit(t, group, topic, map[int]int64{0: 0, 1: 0})
			f.advance(10 * time.Second)
			f.poll(t)
			f.wantHealth(t, group, poller.Rewind, "went backwards on 2 queues")
		})
	}
}

// TestStuckConsumerStallsThenStops: a real consumer stuck on a message keeps its offsets
// still while online: STALL after a minute, STOP once the window has passed.
func TestStuckConsumerStallsThenStops(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t, version)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
			stacktest.CreateTopic(t, f.rmq, topic, 1)
			stacktest.Produce(t, f.rmq, topic, 5)
			f.maxOffsets(t, topic, 5)

			c := stacktest.Consume(t, f.rmq, group, topic, stacktest.ConsumerOptions{Stuck: true})
			c.WaitReceived(t, 1, 60*time.Second)

			f.poll(t)
			f.wantHealth(t, group, poller.OK, "5 messages waiting")
			f.advance(30 * time.Second)
			f.poll(t)
			f.wantHealth(t, group, poller.OK, "5 messages waiting")
			f.advance(40 * time.Second)
			f.poll(t)
			f.wantHealth(t, group, poller.Stall, "unchanged for 1 min with 1 client online; 5 messages waiting")
			for range 60 { // ten minutes of polls, every 10 s
				f.advance(10 * time.Second)
				f.poll(t)
			}
			f.wantHealth(t, group, poller.Stop, "no commit for 10 min")
		})
	}
}

// TestStoppedConsumerGoesOffline: a consumer that caught up and stopped, with new messages
// arriving, is OFFLINE.
func TestStoppedConsumerGoesOffline(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, version)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
			stacktest.CreateTopic(t, f.rmq, topic, 1)
			stacktest.Produce(t, f.rmq, topic, 5)
			f.maxOffsets(t, topic, 5)
			c := stacktest.Consume(t, f.rmq, group, topic, stacktest.ConsumerOptions{})
			// The client commits every few seconds: wait for the commit of all five.
			deadline := time.Now().Add(60 * time.Second)
			for {
				off, err := f.admin.QueryConsumerOffset(ctx, f.rmq.BrokerAddr, group, topic, 0)
				if err == nil && off == 5 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("committed offset %d (%v), want 5", off, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			c.Stop()
			stacktest.Produce(t, f.rmq, topic, 3)
			f.maxOffsets(t, topic, 8)
			f.poll(t)
			f.wantHealth(t, group, poller.Offline, "no client online; 3 messages waiting")
			if g := f.group(t, group); g.Clients == nil || *g.Clients != 0 {
				t.Fatalf("clients = %v, want 0", g.Clients)
			}
		})
	}
}
