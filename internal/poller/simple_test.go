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

// retryTotal is what the broker holds in the group's pop retry topics for topic: every
// message written there came back after its invisible time without an ack.
func retryTotal(t testing.TB, f *fixture, group, topic string) int64 {
	t.Helper()
	var total int64
	for _, retry := range []string{"%RETRY%" + group + "_" + topic, "%RETRY%" + group + "+" + topic} {
		ts, err := f.admin.TopicStats(context.Background(), f.rmq.BrokerAddr, retry)
		if errors.Is(err, mqadmin.ErrTopicNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range ts.Offsets {
			total += o.MaxOffset
		}
	}
	return total
}

// TestSimpleConsumers runs real 5.x SimpleConsumers through the proxy, fed by the 5.x SDK's
// producer: one that acks at once, one that never acks (its messages come back after the
// invisible time), one that acks late, one that holds its messages. Lagboard must see each
// as a simple group, with the broker's own numbers per queue, and count the messages that
// came back exactly as the broker's retry topics hold them.
func TestSimpleConsumers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "5.3.3")
	topic := stacktest.Name(t, "t")
	stacktest.CreateTopic(t, f.rmq, topic, 2)
	acks, never, slow := stacktest.Name(t, "acks"), stacktest.Name(t, "never"), stacktest.Name(t, "slow")
	holds := stacktest.Name(t, "holds")
	ca := stacktest.SimpleConsume(t, f.rmq, acks, topic, stacktest.SimpleOptions{})
	cn := stacktest.SimpleConsume(t, f.rmq, never, topic, stacktest.SimpleOptions{Ack: "never", Invisible: 2 * time.Second})
	cs := stacktest.SimpleConsume(t, f.rmq, slow, topic, stacktest.SimpleOptions{Ack: "after", AckDelay: 3 * time.Second})
	ch := stacktest.SimpleConsume(t, f.rmq, holds, topic, stacktest.SimpleOptions{Ack: "never", Invisible: time.Minute})
	stacktest.SimpleProduce(t, f.rmq, topic, 10) // through the proxy, with the 5.x SDK's producer

	ca.WaitConsumed(t, 10, 90*time.Second)
	cs.WaitConsumed(t, 10, 90*time.Second)
	ch.WaitReceived(t, 10, 90*time.Second)
	received := time.Now()
	waitUntil(t, 90*time.Second, "messages of the group that never acks come back", func() error {
		if n := cn.Output.Redelivered(); n < 10 {
			return fmt.Errorf("%d redeliveries", n)
		}
		return nil
	})

	for _, group := range []string{acks, never, slow} {
		sameAsBroker(t, f, group, topic)
		g := f.group(t, group)
		// A poll whose pop statistics a loaded broker left unanswered leaves the kind
		// unknown, never pull; the next answer tells.
		for tries := 0; g.Kind == "" && tries < 5; tries++ {
			f.advance(10 * time.Second)
			f.poll(t)
			g = f.group(t, group)
		}
		if g.Kind != poller.KindSimple {
			t.Errorf("%s: kind %q, want simple", group, g.Kind)
		}
		if g.ConsumeType != "CONSUME_ACTIVELY" {
			t.Errorf("%s: consume type %q: the proxy registers simple consumers as pull consumers", group, g.ConsumeType)
		}
	}
	if g := f.group(t, acks); g.Redelivered == nil || *g.Redelivered != 0 || g.Health != poller.OK {
		t.Errorf("acking group: redelivered %v, health %s %q; want 0 and OK", g.Redelivered, g.Health, g.HealthReason)
	}
	for _, group := range []string{acks, slow} {
		if g := f.group(t, group); g.Inflight == nil || *g.Inflight != 0 {
			t.Errorf("%s: in flight %v, want 0: every message was acknowledged", group, g.Inflight)
		}
	}
	// The group holding its messages for a minute: all ten are in flight, and come back a
	// minute after they were received.
	g := f.group(t, holds)
	if g.Inflight == nil || *g.Inflight != 10 || ch.Output.Received() != 10 {
		t.Errorf("holding group: in flight %v, received %d; want 10 and 10", g.Inflight, ch.Output.Received())
	}
	if v := g.InflightVisibleAt; v == nil || v.Before(received.Add(50*time.Second)) || v.After(received.Add(time.Minute)) {
		t.Errorf("holding group: first visible again at %v, want about a minute after %s", v, received.Format(time.TimeOnly))
	}

	// The group that never acks: what Lagboard counts is what the broker's retry topics
	// hold, and at least what the consumer saw come back.
	seen := cn.Output.Redelivered()
	f.advance(10 * time.Second)
	f.poll(t)
	g = f.group(t, never)
	held := retryTotal(t, f, never, topic)
	if g.Redelivered == nil || *g.Redelivered < int64(seen) || *g.Redelivered > held {
		t.Fatalf("redelivered %v: want between the %d the consumer saw and the %d the retry topic holds", g.Redelivered, seen, held)
	}
	waitUntil(t, 60*time.Second, "more messages come back", func() error {
		if n := retryTotal(t, f, never, topic); n <= held {
			return fmt.Errorf("retry topics hold %d", n)
		}
		return nil
	})
	f.advance(10 * time.Second)
	f.poll(t)
	g = f.group(t, never)
	if g.Health != poller.Warn || !strings.Contains(g.HealthReason, "came back unacknowledged") {
		t.Errorf("health %s %q, want WARN: its messages keep coming back", g.Health, g.HealthReason)
	}
	if g.AckedPerMin == nil || *g.AckedPerMin != 0 {
		t.Errorf("acked per minute %v, want 0", g.AckedPerMin)
	}
}

// TestSilentClientLeftAlone: a 5.x SimpleConsumer that has received nothing yet looks like
// a pull consumer to the broker, and it never answers a running-info request: the broker
// holds one of its admin threads ten seconds waiting for it. Lagboard asks it once, says on
// the client's row that it did not answer and until when it is left alone, does not ask
// again before then, and leaves it alone twice as long after the next silence.
func TestSilentClientLeftAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "5.3.3")
	ctx := context.Background()
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "idle")
	stacktest.CreateTopic(t, f.rmq, topic, 2)
	stacktest.SimpleConsume(t, f.rmq, group, topic, stacktest.SimpleOptions{})
	// The proxy registers the client at once, but the broker creates the group's config,
	// by which Lagboard finds it, only at its first receive.
	waitUntil(t, 60*time.Second, "the group online, with its config", func() error {
		if _, err := f.admin.ConsumerConnections(ctx, f.rmq.BrokerAddr, group); err != nil {
			return err
		}
		subs, err := f.admin.SubscriptionGroups(ctx, f.rmq.BrokerAddr)
		if _, ok := subs[group]; err == nil && !ok {
			err = errors.New("no config yet")
		}
		return err
	})
	// shown polls and returns what the client's row says, with the clock of each cycle it
	// ran (pollFresh polls again, 10 s on, while the group is stale).
	shown := func() (string, []time.Time) {
		t.Helper()
		from := f.now
		rep := f.pollFresh(t, group)
		clients, err := storage.ClientStates(ctx, f.db, f.clusterID, group)
		if err != nil || len(clients) != 1 {
			t.Fatalf("clients %+v, %v; want one (stale %q, group %+v)", clients, err, rep.Stale[group], f.group(t, group))
		}
		if clients[0].OffsetsError == nil {
			t.Fatalf("client %s: nothing said of its running info", clients[0].ClientID)
		}
		var at []time.Time
		for c := from; !c.After(f.now); c = c.Add(10 * time.Second) {
			at = append(at, c)
		}
		return *clients[0].OffsetsError, at
	}
	const next = "asked again after "
	// leftFor reports whether msg says the client is left alone for d from one of the cycles.
	leftFor := func(msg string, at []time.Time, d time.Duration) bool {
		for _, c := range at {
			if strings.Contains(msg, next+c.Add(d).UTC().Format("15:04:05")+" UTC") {
				return true
			}
		}
		return false
	}

	first, at := shown()
	if !strings.Contains(first, "did not answer in time") || !leftFor(first, at, 2*time.Minute) {
		t.Fatalf("after the first ask: %q; want it did not answer, asked again 2 min after the cycle at %v", first, at)
	}
	until := first[strings.Index(first, next):][:len(next)+len("15:04:05 UTC")]
	// Past the running-info interval, before the end of its quiet: not asked (asked, it would
	// be left alone from now on).
	f.advance(70 * time.Second)
	if got, _ := shown(); !strings.Contains(got, until) {
		t.Errorf("70 s later: %q; want still %q", got, until)
	}
	// Past its quiet: asked, silent again, left alone twice as long.
	f.advance(60 * time.Second)
	if got, at := shown(); !leftFor(got, at, 4*time.Minute) {
		t.Errorf("asked again: %q; want left alone 4 min from the cycle at %v", got, at)
	}
	if g := f.group(t, group); g.Kind == poller.KindSimple {
		t.Fatalf("kind simple: the group popped, so it was never asked; the test needs one that has not")
	}
}
