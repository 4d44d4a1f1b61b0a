package reset_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestResetSimpleConsumer: a 5.x simple consumer's group (pop, through the proxy) is reset
// by the broker itself, like any group on 5.2+: previewed with the pop warning, executed on
// the server path with the consumer online, verified, and the consumer then receives every
// message again from the earliest offset.
func TestResetSimpleConsumer(t *testing.T) {
	t.Parallel()
	r := stacktest.Broker(t, "5.3.3")
	e := newEnv(t, r, nil)
	tp := newTopic(t, e, 2)
	group := stacktest.Name(t, "simple")
	c := stacktest.SimpleConsume(t, r, group, tp.name, stacktest.SimpleOptions{})
	tp.produce(t, e, 6)
	c.WaitConsumed(t, 6, 90*time.Second)
	atTheEnd(t, e, tp, group, "the consumer's offsets at the end")

	spec := reset.Spec{Cluster: "local", Group: group, Topic: tp.name, Kind: reset.ToEarliest}
	p, err := e.svc.Preview(e.ctx, operator, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !p.NotMoved.Pops || !hasWarning(p, "pop") || p.Brokers[0].Path != reset.PathServer {
		t.Fatalf("preview: pops %v, warnings %+v, path %s; want the pop warning on the server path", p.NotMoved.Pops, p.Warnings, p.Brokers[0].Path)
	}
	req := e.approved(t, spec)
	done, err := e.svc.Execute(e.ctx, operator, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.State != reset.Executed {
		t.Fatalf("state %s after execution", done.State)
	}
	c.WaitConsumed(t, 12, 90*time.Second) // every message again
	if v := e.waitVerified(t, req.ID); v.State != reset.Verified {
		t.Fatalf("state %s: %+v", v.State, v.Verification)
	}
}

func hasWarning(p reset.Preview, code string) bool {
	for _, w := range p.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

// atTheEnd waits until group's committed offset is the newest on every queue of tp.
func atTheEnd(t *testing.T, e *env, tp *topic, group, what string) {
	t.Helper()
	waitFor(t, 30*time.Second, what, func() error {
		for q, m := range tp.max {
			if got := e.committed(t, group, tp.name)[q]; got != m {
				return errNotYet(q, got, m)
			}
		}
		return nil
	})
}

func errNotYet(q int, got, want int64) error {
	return fmt.Errorf("queue %d at %d, want %d", q, got, want)
}

// TestResetSimpleConsumerByTimeAndShift: the other kinds a 5.x broker applies to a pop
// group. With a simple consumer online, a reset to a point in time between two batches
// makes it receive exactly the second batch again, and a shift back by one on every queue
// exactly one message a queue more.
func TestResetSimpleConsumerByTimeAndShift(t *testing.T) {
	t.Parallel()
	r := stacktest.Broker(t, "5.3.3")
	e := newEnv(t, r, nil)
	tp := newTopic(t, e, 2)
	group := stacktest.Name(t, "simple")
	c := stacktest.SimpleConsume(t, r, group, tp.name, stacktest.SimpleOptions{})
	tp.produce(t, e, 4)
	c.WaitConsumed(t, 4, 90*time.Second)
	atTheEnd(t, e, tp, group, "the first batch acknowledged")
	between := time.Now()
	tp.produce(t, e, 3)
	c.WaitConsumed(t, 7, 90*time.Second)
	atTheEnd(t, e, tp, group, "the second batch acknowledged")

	run := func(spec reset.Spec, total int) {
		t.Helper()
		req := e.approved(t, spec)
		done, err := e.svc.Execute(e.ctx, operator, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.State != reset.Executed {
			t.Fatalf("%s: state %s after execution", spec.Kind, done.State)
		}
		c.WaitConsumed(t, total, 90*time.Second)
		if v := e.waitVerified(t, req.ID); v.State != reset.Verified {
			t.Fatalf("%s: state %s: %+v", spec.Kind, v.State, v.Verification)
		}
		atTheEnd(t, e, tp, group, string(spec.Kind)+": consumed to the end again")
		if got := c.Output.Consumed(); got != total {
			t.Fatalf("%s: %d messages acknowledged in all, want exactly %d", spec.Kind, got, total)
		}
	}
	run(reset.Spec{Cluster: "local", Group: group, Topic: tp.name, Kind: reset.ToTime, Time: between.Truncate(time.Millisecond)}, 10)
	run(reset.Spec{Cluster: "local", Group: group, Topic: tp.name, Kind: reset.Shift, By: -1}, 12)
}
