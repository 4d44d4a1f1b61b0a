package reset_test

import (
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestTimeToTheMillisecond resets to the store time of a message sent a few milliseconds
// after the one before it, in the same second: the preview, the frozen request and the
// execution all use the instant to the millisecond, so the group lands on that message and
// not on the first of its second. Brokers search store times in milliseconds; a time read
// only to the second would land before both. 5.x only: 4.x brokers answer a time with a
// message next to it (docs/RESETS.md).
func TestTimeToTheMillisecond(t *testing.T) {
	v := stacktest.Versions(t)[0]
	if v[0] != '5' {
		t.Fatalf("the first version is %s; this test needs a 5.x broker", v)
	}
	e := newEnv(t, stacktest.Broker(t, v), nil)
	tp := newTopic(t, e, 1)
	// Store times of consecutive messages, until two in the same second differ.
	scratch := e.groupNamed(t, "st", tp, nil)
	var at, want int64 // the store time sought, in Unix ms, and its message's offset
	for attempt := 0; want == 0 && attempt < 5; attempt++ {
		sent := tp.produce(t, e, 10)
		prev := e.storeTime(t, tp, scratch, sent[0].QueueOffset)
		for _, s := range sent[1:] {
			st := e.storeTime(t, tp, scratch, s.QueueOffset)
			if st > prev && st/1000 == prev/1000 {
				at, want = st, s.QueueOffset
				break
			}
			prev = st
		}
	}
	if want == 0 {
		t.Fatal("no two consecutive messages in the same second with different store times")
	}
	group := e.group(t, tp, map[int]int64{0: tp.max[0]})
	// A fraction finer than a millisecond is dropped, as brokers search in milliseconds.
	instant := time.UnixMilli(at).Add(400 * time.Microsecond)
	req := e.approved(t, reset.Spec{Cluster: "local", Group: group, Topic: tp.name, Kind: reset.ToTime, Time: instant})
	if !req.Spec.Time.Equal(time.UnixMilli(at)) {
		t.Fatalf("frozen time %s, want %s", req.Spec.Time.Format(time.RFC3339Nano), time.UnixMilli(at).UTC().Format(time.RFC3339Nano))
	}
	if got := req.Preview.Queues[0].Target; got != want {
		t.Fatalf("preview target %d, want %d, the message stored at %d ms", got, want, at)
	}
	done, err := e.svc.Execute(e.ctx, operator, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.committed(t, group, tp.name)[0]; got != want || done.State != reset.Executed {
		t.Fatalf("committed %d after execution (%s), want %d", got, done.State, want)
	}
	if d := req.Spec.Describe(); d != "to "+time.UnixMilli(at).UTC().Format(reset.TimeLayout) {
		t.Errorf("described %q", d)
	}
}

// storeTime returns the store time, in Unix ms, of the message at offset in queue 0: the
// broker reports it as the last consumed message of a group committed just past it. One
// scratch group serves every call, so the shared broker does not fill with groups.
func (e *env) storeTime(t *testing.T, tp *topic, scratch string, offset int64) int64 {
	t.Helper()
	if err := e.admin.UpdateConsumerOffset(e.ctx, e.r.BrokerAddr, scratch, tp.name, 0, offset+1); err != nil {
		t.Fatal(err)
	}
	e.waitCommitted(t, scratch, tp.name, map[int]int64{0: offset + 1})
	st, err := e.admin.ConsumeStats(e.ctx, e.r.BrokerAddr, scratch, tp.name)
	if err != nil {
		t.Fatal(err)
	}
	for mq, o := range st.Offsets {
		if mq.Topic == tp.name && mq.QueueID == 0 && o.LastTimestamp > 0 {
			return o.LastTimestamp
		}
	}
	t.Fatalf("no store time for offset %d: %+v", offset, st.Offsets)
	return 0
}
