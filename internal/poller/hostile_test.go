package poller_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestClientsAnsweringBadly registers, beside a real consumer of each group, a client that
// answers the running-info requests the broker forwards to it with garbage, and one that
// never answers. The cycle must end within its deadline, the groups' numbers stay the
// broker's, and each bad client's row and the log say what it did.
func TestClientsAnsweringBadly(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, version)
			logs := f.warningsTo(func(c *poller.Config) { c.CycleTimeout, c.CallTimeout = 8*time.Second, 2*time.Second })
			faults := map[string]stacktest.ClientFault{"garbage": stacktest.AnswerGarbage, "silent": stacktest.AnswerNothing}
			hostile := map[string]string{} // group → bad client's ID
			topics := map[string]string{}
			for name, fault := range faults {
				topic, group := stacktest.Name(t, "t-"+name), stacktest.Name(t, name)
				stacktest.CreateTopic(t, f.rmq, topic, 4)
				stacktest.Produce(t, f.rmq, topic, 40)
				hostile[group] = stacktest.HostileClient(t, f.rmq, group, topic, stacktest.HostileOptions{Fault: fault})
				topics[group] = topic
				c := stacktest.Consume(t, f.rmq, group, topic, stacktest.ConsumerOptions{})
				// The real client's rebalance sees two clients and takes half the queues;
				// the bad client's half stands still.
				c.WaitConsumed(t, 1, time.Minute)
				waitUntil(t, time.Minute, "the real client's commits", func() error {
					all, err := f.admin.BrokerOffsets(t.Context(), f.rmq.BrokerAddr)
					if err != nil {
						return err
					}
					if n := len(all.Committed[mqadmin.GroupTopic{Group: group, Topic: topic}]); n < 2 {
						return fmt.Errorf("%d queues committed", n)
					}
					return nil
				})
			}
			start := time.Now()
			rep := f.poll(t) // the first poll asks every client for its running info
			if took := time.Since(start); took > 8*time.Second+2*time.Second {
				t.Errorf("cycle took %s; its deadline is 8s", took)
			} else {
				t.Logf("cycle took %s", took)
			}
			for group, id := range hostile {
				if why, stale := rep.Stale[group]; stale {
					t.Errorf("%s stale: %s", group, why)
				}
				g := f.group(t, group)
				if g.Clients == nil || *g.Clients != 2 || g.Health == "OFFLINE" {
					t.Errorf("%s: clients %v, health %s, with two clients connected", group, g.Clients, g.Health)
				}
				clients, err := storage.ClientStates(t.Context(), f.db, f.clusterID, group)
				if err != nil {
					t.Fatal(err)
				}
				var bad *storage.ClientState
				for i := range clients {
					if clients[i].ClientID == id {
						bad = &clients[i]
					}
				}
				if bad == nil {
					t.Fatalf("%s: bad client %s not listed among %d clients", group, id, len(clients))
				}
				want := "did not report the queues it holds: " // and what it sent
				if strings.HasPrefix(group, "silent") {
					want = "did not answer in time: the queues it holds unknown"
				}
				if bad.OffsetsError == nil || !strings.Contains(*bad.OffsetsError, want) {
					t.Errorf("%s: bad client's row says %v, want %q", group, deref(bad.OffsetsError), want)
				}
				if !strings.Contains(logs.String(), id) {
					t.Errorf("%s: the log does not name the bad client %s:\n%s", group, id, logs)
				}
			}
			// Asked again a running-info interval later, the clients answer as badly: the log
			// does not say it again.
			f.advance(2 * time.Minute)
			f.poll(t)
			for _, id := range hostile {
				n := 0
				for line := range strings.Lines(logs.String()) {
					if strings.Contains(line, id) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("the log names the bad client %s on %d lines, want one:\n%s", id, n, logs)
				}
			}
			// The groups' numbers are still the broker's.
			for group, topic := range topics {
				sameAsBroker(t, f, group, topic)
			}
		})
	}
}
