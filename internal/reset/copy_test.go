package reset_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestCopyOffsets copies one group's committed offsets onto another on every broker
// version, with no consumer online. The source committed on queues 0 and 1 only; the
// target on queues 0 and 2. The preview takes each queue's target from the source (queue 1
// included, where the target had none) and marks queue 2, where the source never committed,
// as left as it is. After execution and verification a real rocketmq-client-go consumer of
// the target group receives exactly the messages from those offsets on. On 4.9 a broker
// asked for one uncommitted queue answers 0, so the source's offsets are read from the
// broker's whole offset table: a queue it never committed on must not become a rewind to 0.
func TestCopyOffsets(t *testing.T) {
	t.Parallel()
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, stacktest.Broker(t, v), nil)
			tp := newTopic(t, e, 3)
			tp.produce(t, e, 30)
			fromSource := map[int]int64{0: 2, 1: tp.max[1] - 1}
			source := e.groupNamed(t, "src", tp, fromSource)
			target := e.groupNamed(t, "dst", tp, map[int]int64{0: tp.max[0], 2: 4})
			spec := reset.Spec{Cluster: "local", Group: target, Topic: tp.name, Kind: reset.ToGroup, Source: source}
			req := e.approved(t, spec)

			want := map[int]int64{0: fromSource[0], 1: fromSource[1], 2: 4}
			for _, q := range req.Preview.Queues {
				if q.Target != want[q.QueueID] {
					t.Errorf("preview of queue %d: target %d, want %d", q.QueueID, q.Target, want[q.QueueID])
				}
				if q.NoSource != (q.QueueID == 2) {
					t.Errorf("preview of queue %d: left as it is %v, want %v", q.QueueID, q.NoSource, q.QueueID == 2)
				}
			}
			if req.Preview.Totals.Changed != 2 {
				t.Errorf("queues to move: %d, want 2", req.Preview.Totals.Changed)
			}
			if !warns(req.Preview, "no_source_commit", e.r.BrokerName+"/2") || !warns(req.Preview, "copy", source) {
				t.Errorf("warnings %+v: want the copy explained and queue 2 named as left", req.Preview.Warnings)
			}
			if got := req.Spec.Describe(); got != "to the offsets of "+source {
				t.Errorf("described as %q", got)
			}

			done, err := e.svc.Execute(e.ctx, operator, req.ID)
			if err != nil {
				t.Fatal(err)
			}
			if done.State != reset.Executed {
				t.Fatalf("state %s, outcome %+v", done.State, done.Outcome)
			}
			for _, q := range done.Outcome.Queues {
				if q.Left != (q.QueueID == 2) || (q.QueueID == 2 && q.Result != reset.Unchanged) {
					t.Errorf("outcome of queue %d: %+v", q.QueueID, q)
				}
			}
			if got := e.committed(t, target, tp.name); !sameOffsets(got, want) {
				t.Fatalf("committed after the copy: %v, want %v", got, want)
			}
			if got := e.committed(t, source, tp.name); !sameOffsets(got, fromSource) {
				t.Errorf("the source moved: %v, want %v", got, fromSource)
			}
			if got := e.waitVerified(t, req.ID); got.State != reset.Verified {
				t.Fatalf("after verification: %s %+v", got.State, got.Verification)
			}
			expected := tp.between(want)
			c := stacktest.Consume(t, e.r, target, tp.name, stacktest.ConsumerOptions{})
			e.waitCommitted(t, target, tp.name, tp.max)
			c.Stop()
			if got := received(c); !slices.Equal(got, expected) {
				t.Fatalf("the consumer received %d messages %v, want exactly %d %v", len(got), got, len(expected), expected)
			}
		})
	}
}

// TestCopyOffsetsRefusals: the source must be another group the cluster knows, that has
// committed on the topic, and that the requester may read. Each refusal says which, and
// nothing is stored.
func TestCopyOffsetsRefusals(t *testing.T) {
	e := newEnv(t, stacktest.Broker(t, stacktest.Versions(t)[0]), nil)
	tp := newTopic(t, e, 2)
	tp.produce(t, e, 6)
	target := e.groupNamed(t, "dst", tp, tp.max)
	source := e.groupNamed(t, "src", tp, map[int]int64{0: 1})
	idle := e.groupNamed(t, "idle", tp, nil) // exists, never committed on the topic
	missing := stacktest.Name(t, "nobody")
	spec := func(src string) reset.Spec {
		return reset.Spec{Cluster: "local", Group: target, Topic: tp.name, Kind: reset.ToGroup, Source: src}
	}
	targetOnly := scopedPerson("olga", target, auth.RoleOperator)
	for _, tt := range []struct {
		name string
		who  reset.Who
		spec reset.Spec
		code string
		text string
	}{
		{"no source", operator, spec(""), errcode.Invalid, "Give the consumer group whose offsets to copy"},
		{"itself", operator, spec(target), errcode.Invalid, "choose another group"},
		{"unknown source", operator, spec(missing), errcode.NotFound, "There is no source group " + missing + " in cluster local"},
		{"source never committed on the topic", operator, spec(idle), errcode.Invalid, "nothing to copy"},
		{"source out of the requester's sight", targetOnly, spec(source), errcode.Forbidden, "may not do this"},
		{"retry topic", operator, reset.Spec{Cluster: "local", Group: target, Topic: "%RETRY%" + target, Kind: reset.ToGroup, Source: source},
			errcode.Invalid, "topic both groups consume"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Create(e.ctx, tt.who, tt.spec, "copy", "")
			if errcode.Code(err) != tt.code || !strings.Contains(errcode.Message(err), tt.text) {
				t.Fatalf("%v (message %q), want %s saying %q", err, errcode.Message(err), tt.code, tt.text)
			}
		})
	}
	var n int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM reset_request`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d requests stored, %v; want none", n, err)
	}
	if _, err := e.svc.Create(e.ctx, operator, spec(source), "copy", ""); err != nil {
		t.Fatalf("a valid copy: %v", err)
	}
}

// warns reports whether the preview has a warning of code whose text mentions text.
func warns(p reset.Preview, code, text string) bool {
	for _, w := range p.Warnings {
		if w.Code == code && strings.Contains(w.Text, text) {
			return true
		}
	}
	return false
}
