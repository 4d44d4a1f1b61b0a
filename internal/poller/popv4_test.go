package poller_test

import (
	"strings"
	"testing"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestPopClientOn4x registers a client that claims to consume by pop (CONSUME_POP) with each
// real broker. 5.3.3 knows the claim: the group is a pop group and the broker is asked for
// its pop statistics. 4.9.7 has no pop: it reports the client with no consume type, and
// Lagboard must say the kind is unknown because of it, ask nothing pop of that broker, and
// still show the group's waiting messages, and say it in the log once.
func TestPopClientOn4x(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, version)
			logs := f.warningsTo(nil)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "pop")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			stacktest.Produce(t, f.rmq, topic, 10)
			stacktest.HostileClient(t, f.rmq, group, topic, stacktest.HostileOptions{ConsumeType: "CONSUME_POP"})
			rep := f.poll(t)
			f.poll(t) // said once, not every cycle
			said := strings.Count(logs.String(), "does not know how a group's online clients consume")
			if why, stale := rep.Stale[group]; stale {
				t.Fatalf("stale: %s", why)
			}
			g := f.group(t, group)
			if g.Clients == nil || *g.Clients != 1 || g.Lag == nil || *g.Lag != 10 || g.NeverCommitted != 2 {
				t.Errorf("clients %v, lag %v, never committed on %d queues; want 1 client, 10 waiting on 2 queues",
					deref(g.Clients), deref(g.Lag), g.NeverCommitted)
			}
			popAsks := rep.Requests["broker_stats"] + rep.Requests["pull_messages"]
			if version[0] == '4' {
				if g.Kind != "" || g.KindInferred {
					t.Errorf("kind %q (inferred %v) on a broker without pop; want unknown, as the client is online", g.Kind, g.KindInferred)
				}
				if said != 1 {
					t.Errorf("the log said %d times that the broker does not know the clients' consume type, want once:\n%s", said, logs)
				}
				if popAsks != 0 {
					t.Errorf("%d pop statistics or pop log requests sent to a 4.x broker: %v", popAsks, rep.Requests)
				}
				return
			}
			if said != 0 {
				t.Errorf("the log says the 5.x broker does not know a pop client:\n%s", logs)
			}
			if g.Kind != "pop" || g.KindInferred {
				t.Errorf("kind %q (inferred %v), want pop as the client says", g.Kind, g.KindInferred)
			}
			if rep.Requests["broker_stats"] == 0 {
				t.Errorf("the 5.x broker was not asked for the group's pop statistics: %v", rep.Requests)
			}
		})
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}
