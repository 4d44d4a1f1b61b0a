package reset_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestResetsOnline resets a group while its real rocketmq-client-go consumer runs, one kind
// after another: 5.x brokers rewrite the offsets themselves (every kind), 4.x brokers hand
// the reset to the client (to a time, earliest or latest, every queue). Each request is
// verified; after a rewind the consumer receives exactly the messages from the targets on
// once more, and after a skip to latest only what it had fetched of the backlog before it
// learned of the reset. On a 4.x broker an exact-offset request is refused up front while
// consumers are online.
func TestResetsOnline(t *testing.T) {
	t.Parallel()
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, stacktest.Broker(t, v), nil)
			tp := newTopic(t, e, 2)
			tp.produce(t, e, 10)
			mid := time.Now()
			tp.produce(t, e, 6)
			group := e.group(t, tp, nil)
			c := stacktest.Consume(t, e.r, group, tp.name, stacktest.ConsumerOptions{Delay: 300 * time.Millisecond})
			e.waitCommitted(t, group, tp.name, tp.max)
			c.WaitReceived(t, 16, time.Minute)
			serverSide := v[0] >= '5'
			base := reset.Spec{Cluster: "local", Group: group, Topic: tp.name}

			if !serverSide {
				exact := base
				exact.Kind, exact.Offsets = reset.ToOffsets, map[reset.QueueRef]int64{{Broker: e.r.BrokerName, QueueID: 0}: 1}
				_, err := e.svc.Create(e.ctx, operator, exact, "replay one queue", "")
				if errcode.Code(err) != errcode.Invalid || !strings.Contains(errcode.Message(err), "hands resets to the online client") {
					t.Fatalf("exact reset with an online client on %s: %v, want it refused", v, err)
				}
			}
			steps := []reset.Spec{
				{Kind: reset.ToTime, Time: mid},
				{Kind: reset.ToEarliest},
			}
			if serverSide {
				steps = append(steps,
					reset.Spec{Kind: reset.ToOffsets, Offsets: map[reset.QueueRef]int64{{Broker: e.r.BrokerName, QueueID: 1}: 2}},
					reset.Spec{Kind: reset.Shift, By: -3})
			}
			wantPath := reset.PathClient
			if serverSide {
				wantPath = reset.PathServer
			}
			consumed := 16
			for _, step := range steps {
				spec := base
				spec.Kind, spec.Time, spec.By, spec.Offsets = step.Kind, step.Time, step.By, step.Offsets
				req := e.approved(t, spec)
				if len(req.Preview.Brokers) != 1 || req.Preview.Brokers[0].Path != wantPath || len(req.Preview.Clients) != 1 {
					t.Fatalf("%s: preview brokers %+v, clients %+v; want one %s broker and one client", spec.Kind, req.Preview.Brokers, req.Preview.Clients, wantPath)
				}
				done, err := e.svc.Execute(e.ctx, operator, req.ID)
				if err != nil {
					t.Fatalf("%s: %v", spec.Kind, err)
				}
				again := 0
				for _, q := range done.Outcome.Queues {
					if q.Error != "" {
						t.Fatalf("%s: outcome of %s: %+v", spec.Kind, q.QueueRef, q)
					}
					again += int(tp.max[q.QueueID] - q.Target)
				}
				if got := e.waitVerified(t, req.ID); got.State != reset.Verified {
					t.Fatalf("%s: verification: %s %s", spec.Kind, got.State, mustJSON(t, got.Verification))
				}
				consumed += again
				e.waitCommitted(t, group, tp.name, tp.max)
				c.WaitReceived(t, consumed, time.Minute)
				if n := c.Output.Received(); n != consumed {
					t.Fatalf("%s: the consumer received %d messages in all, want %d (%d again)", spec.Kind, n, consumed, again)
				}
			}

			// A backlog larger than what the client fetches ahead (rocketmq-client-go caches up
			// to 1,024 messages a queue), skipped while the consumer works through it slowly.
			// What it had fetched when it learned of the reset it may still consume; the rest
			// it never receives.
			const backlog = 2400
			tp.produce(t, e, backlog)
			spec := base
			spec.Kind = reset.ToLatest
			req := e.approved(t, spec)
			if req.Preview.Totals.Skip == 0 {
				t.Fatalf("latest: the preview skips nothing: %+v", req.Preview.Totals)
			}
			if _, err := e.svc.Execute(e.ctx, operator, req.ID); err != nil {
				t.Fatalf("latest: %v", err)
			}
			atReset := c.Output.Received()
			if got := e.waitVerified(t, req.ID); got.State != reset.Verified {
				t.Fatalf("latest: verification: %s %s", got.State, mustJSON(t, got.Verification))
			}
			// Messages sent now come after the backlog in every queue: once they are committed,
			// whatever of the backlog the consumer has not received it never will.
			tp.produce(t, e, 4)
			e.waitCommitted(t, group, tp.name, tp.max)
			n := c.Output.Received() - consumed - 4
			t.Logf("latest: %d of the backlog of %d received, %d of them when the reset landed", n, backlog, atReset-consumed)
			if n >= backlog {
				t.Fatalf("latest: the consumer received the whole backlog of %d; the skip did not take", backlog)
			}
		})
	}
}
