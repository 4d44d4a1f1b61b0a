package reset_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestRewindOnline rewinds a group while its consumer runs: 5.x brokers rewrite the
// offsets themselves, 4.x brokers hand the reset to the client. Either way the request is
// verified and the consumer consumes exactly the rewound messages once more. On a 4.x
// broker an exact-offset request is refused up front while consumers are online.
func TestRewindOnline(t *testing.T) {
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, stacktest.Broker(t, v), nil)
			tp := newTopic(t, e, 2)
			tp.produce(t, e, 10)
			group := e.group(t, tp, nil)
			c := stacktest.JavaConsumer(t, e.r, group, tp.name, stacktest.ConsumerOptions{Delay: 300 * time.Millisecond})
			e.waitCommitted(t, group, tp.name, tp.max)
			c.WaitConsumed(t, 10, time.Minute)
			spec := reset.Spec{Cluster: "local", Group: group, Topic: tp.name}

			serverSide := v[0] >= '5'
			if !serverSide {
				exact := spec
				exact.Kind, exact.Offsets = reset.ToOffsets, map[reset.QueueRef]int64{{Broker: e.r.BrokerName, QueueID: 0}: 1}
				_, err := e.svc.Create(e.ctx, operator, exact, "replay one queue", "")
				if errcode.Code(err) != errcode.Invalid || !strings.Contains(errcode.Message(err), "hands resets to the 1 online clients") {
					t.Fatalf("exact reset with an online client on %s: %v, want it refused", v, err)
				}
			}

			spec.Kind = reset.ToEarliest
			req := e.approved(t, spec)
			wantPath := reset.PathClient
			if serverSide {
				wantPath = reset.PathServer
			}
			if len(req.Preview.Brokers) != 1 || req.Preview.Brokers[0].Path != wantPath || len(req.Preview.Clients) != 1 {
				t.Fatalf("preview brokers %+v, clients %+v; want one %s broker and one client", req.Preview.Brokers, req.Preview.Clients, wantPath)
			}
			if req.Preview.Totals.Reconsume != 10 {
				t.Fatalf("preview re-consumes %d messages, want 10", req.Preview.Totals.Reconsume)
			}
			done, err := e.svc.Execute(e.ctx, operator, req.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range done.Outcome.Queues {
				if q.Target != 0 || q.Error != "" {
					t.Errorf("outcome of %s: %+v, want target 0", q.QueueRef, q)
				}
			}
			if got := e.waitVerified(t, req.ID); got.State != reset.Verified {
				t.Fatalf("verification: %s %+v", got.State, got.Verification)
			}
			e.waitCommitted(t, group, tp.name, tp.max)
			c.WaitConsumed(t, 20, time.Minute)
			if n := c.Output.Consumed(); n != 20 {
				t.Fatalf("the consumer consumed %d messages, want the 10 sent and the 10 rewound", n)
			}
		})
	}
}
