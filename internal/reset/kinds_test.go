package reset_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestKindsOffline runs every kind of reset through the whole workflow on a group with no
// consumer online: the committed offsets end exactly where the frozen preview said, the
// request is verified, and a real rocketmq-client-go consumer started afterwards receives
// exactly the messages from the targets on: the rewound ones again, none of the skipped.
func TestKindsOffline(t *testing.T) {
	t.Parallel()
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, stacktest.Broker(t, v), nil)
			tp := newTopic(t, e, 2)
			tp.produce(t, e, 20)
			atTime := map[int]int64{0: tp.max[0], 1: tp.max[1]} // where the second batch starts
			mid := time.Now()
			tp.produce(t, e, 10)
			half := map[int]int64{0: tp.max[0] / 2, 1: tp.max[1] / 2}
			tests := []struct {
				name    string
				spec    reset.Spec
				from    map[int]int64 // committed before
				targets map[int]int64 // where the preview must put each queue
			}{
				{name: "earliest", spec: reset.Spec{Kind: reset.ToEarliest}, from: half, targets: map[int]int64{0: 0, 1: 0}},
				{name: "latest", spec: reset.Spec{Kind: reset.ToLatest}, from: half, targets: tp.max},
				{name: "timestamp", spec: reset.Spec{Kind: reset.ToTime, Time: mid}, from: tp.max, targets: atTime},
				{name: "exact", spec: reset.Spec{Kind: reset.ToOffsets, Offsets: map[reset.QueueRef]int64{{Broker: e.r.BrokerName, QueueID: 1}: 3}},
					from: half, targets: map[int]int64{0: half[0], 1: 3}},
				{name: "shift back", spec: reset.Spec{Kind: reset.Shift, By: -4}, from: tp.max, targets: map[int]int64{0: tp.max[0] - 4, 1: tp.max[1] - 4}},
				{name: "shift forward clamped", spec: reset.Spec{Kind: reset.Shift, By: 1000}, from: half, targets: tp.max},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel() // each kind has a group of its own
					group := e.group(t, tp, tt.from)
					spec := tt.spec
					spec.Cluster, spec.Group, spec.Topic = "local", group, tp.name
					req := e.approved(t, spec)
					for _, q := range req.Preview.Queues {
						want, ok := tt.targets[q.QueueID]
						if ok && tt.spec.Kind == reset.ToTime && v[0] == '4' && q.Target == want-1 {
							// 4.x brokers may answer a time with the message just before it.
							want = q.Target
						}
						if ok && q.Target != want {
							t.Errorf("preview of queue %d: target %d, want %d", q.QueueID, q.Target, want)
						}
						if q.Current != tt.from[q.QueueID] {
							t.Errorf("preview of queue %d: current %d, want %d", q.QueueID, q.Current, tt.from[q.QueueID])
						}
					}
					if tt.name == "shift forward clamped" && req.Preview.Totals.Clamped != 2 {
						t.Errorf("clamped queues: %d, want 2", req.Preview.Totals.Clamped)
					}
					done, err := e.svc.Execute(e.ctx, operator, req.ID)
					if err != nil {
						t.Fatal(err)
					}
					if done.State != reset.Executed {
						t.Fatalf("state %s, outcome %+v", done.State, done.Outcome)
					}
					want := map[int]int64{}
					for q := range tp.max {
						want[q] = tt.from[q]
						if pq, ok := req.Preview.Queue(reset.QueueRef{Broker: e.r.BrokerName, QueueID: q}); ok {
							want[q] = pq.Target
						}
					}
					if got := e.committed(t, group, tp.name); !sameOffsets(got, want) {
						t.Fatalf("committed after the reset: %v, want the preview's %v", got, want)
					}
					if v := e.waitVerified(t, req.ID); v.State != reset.Verified {
						t.Fatalf("after verification: %s %+v", v.State, v.Verification)
					}
					expected := tp.between(want)
					c := stacktest.Consume(t, e.r, group, tp.name, stacktest.ConsumerOptions{})
					e.waitCommitted(t, group, tp.name, tp.max)
					c.Stop()
					if got := received(c); !slices.Equal(got, expected) {
						t.Fatalf("the consumer received %d messages %v, want exactly %d %v", len(got), got, len(expected), expected)
					}
					n := e.entries(t, req.ID)
					for _, k := range []string{"reset.requested:success", "reset.approved:success", "reset.started:success", "reset.executed:success", "reset.verified:success"} {
						if n[k] != 1 {
							t.Errorf("audit entries %s: %d, want 1 (all: %v)", k, n[k], n)
						}
					}
				})
			}
		})
	}
}

func sameOffsets(got, want map[int]int64) bool {
	for q, w := range want {
		if got[q] != w {
			return false
		}
	}
	return true
}

// received lists the bodies a Go consumer received, sorted.
func received(c *stacktest.Consumer) []string {
	var out []string
	for line := range strings.Lines(c.Output.String()) {
		if b, ok := strings.CutPrefix(strings.TrimSpace(line), "RECEIVED "); ok {
			out = append(out, b)
		}
	}
	sort.Strings(out)
	return out
}
