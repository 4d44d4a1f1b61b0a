package reset

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

func TestClassify(t *testing.T) {
	now := time.Now()
	rewind := QueueCheck{Before: 100, Target: 40, Reached: true}
	handed := QueueCheck{Before: 100, Target: 40, Path: PathClient}
	adopted := QueueCheck{Before: 100, Target: 40, Reached: true, AdoptedAt: &now}
	forward := QueueCheck{Before: 40, Target: 100, Reached: true}
	fresh := QueueCheck{Before: -1, Target: 10, Reached: true}
	atEnd := QueueCheck{Before: 100, Target: 40, Reached: true, Path: PathServer, End: 100}
	grown := QueueCheck{Before: 100, Target: 40, Reached: true, Path: PathServer, End: 130}
	tests := []struct {
		name string
		q    QueueCheck
		seen int64
		want Verdict
	}{
		{"rewind at target", rewind, 40, AtTarget},
		{"rewind consumed on", rewind, 70, ConsumedOn},
		{"rewind back where it was", rewind, 100, Reverted},
		{"rewind past where it was", rewind, 120, Reverted},
		{"rewind below target", rewind, 30, MovedAway},
		{"handed, not committed yet", handed, 100, Waiting},
		{"handed, client still consuming", handed, 104, Waiting},
		{"handed, committed", handed, 40, AtTarget},
		{"adopted, consumed again to where it was", adopted, 100, ConsumedOn},
		{"server rewind, back at the end of the queue", atEnd, 100, AtEnd},
		{"server rewind, back where it was, queue grown", grown, 100, Reverted},
		{"server rewind, consumed on", atEnd, 70, ConsumedOn},
		{"forward at target", forward, 100, AtTarget},
		{"forward consumed on", forward, 130, ConsumedOn},
		{"forward back where it was", forward, 40, Reverted},
		{"forward part way back", forward, 99, Reverted},
		{"no offset before, at target", fresh, 10, AtTarget},
		{"no offset before, consumed on", fresh, 12, ConsumedOn},
		{"no offset before, back", fresh, 3, Reverted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.classify(tt.seen); got != tt.want {
				t.Errorf("before %d target %d, seen %d: %s, want %s", tt.q.Before, tt.q.Target, tt.seen, got, tt.want)
			}
		})
	}
}

// TestVerificationWaitsForTheClients replays the reported run: the offsets set to 10 at
// 04:06:58.8 with a push consumer online, which learned of the reset at 04:07:23, committed
// its stale 30 at 04:07:27 and the new 10 at 04:07:33. The request must not be verified
// while the broker holds 30 nor before the client's commits; the revert names the client;
// it is verified once the client has put the target back and kept it for the settle time.
func TestVerificationWaitsForTheClients(t *testing.T) {
	exec := time.Date(2026, 12, 4, 4, 6, 58, 800_000_000, time.UTC)
	at := func(s string) time.Time {
		tm, err := time.Parse("15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return time.Date(2026, 12, 4, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
	}
	q := QueueRef{Broker: "broker-a", QueueID: 0}
	s := &Service{o: Options{VerifyWindow: time.Minute}}
	v := s.startVerification(Outcome{At: exec, Queues: []QueueOutcome{
		{QueueRef: q, Path: PathServer, Before: 30, Target: 10, Result: Changed, Clients: []string{"10.0.0.7@orders-1"}, Owner: "10.0.0.7@orders-1"},
	}})
	if !v.Until.Equal(exec.Add(time.Minute)) || !v.Deadline.Equal(exec.Add(2*time.Minute)) {
		t.Fatalf("window until %s, deadline %s", v.Until, v.Deadline)
	}
	snap := func(off int64) snapshot {
		return snapshot{brokers: []brokerState{{name: "broker-a", extents: map[int]mqadmin.TopicOffset{0: {}}, committed: map[int]int64{0: off}}}}
	}
	who := func(QueueCheck) string { return "10.0.0.7@orders-1" }
	const settle = 15 * time.Second
	steps := []struct {
		at      string
		offset  int64
		verdict Verdict
		want    conclusion
	}{
		{"04:06:59", 10, AtTarget, watching},
		{"04:07:14", 10, AtTarget, watching}, // kept for the settle time, but the client has not committed
		{"04:07:23", 10, AtTarget, watching},
		{"04:07:27", 30, Reverted, watching},
		{"04:07:30", 30, Reverted, watching},
		{"04:07:33", 10, AtTarget, watching}, // the client took the reset
		{"04:07:40", 10, AtTarget, watching},
		{"04:07:48", 10, AtTarget, kept},
	}
	for _, st := range steps {
		v.observe(snap(st.offset), at(st.at), who)
		got := v.Queues[0]
		if got.Verdict != st.verdict {
			t.Fatalf("%s seen %d: verdict %s, want %s", st.at, st.offset, got.Verdict, st.verdict)
		}
		if c := v.conclude(at(st.at), settle); c != st.want {
			t.Fatalf("%s seen %d: conclusion %d, want %d (%+v)", st.at, st.offset, c, st.want, got)
		}
	}
	qc := v.Queues[0]
	if len(qc.Log) != 3 || qc.Log[1].Verdict != Reverted || qc.Log[1].By != "10.0.0.7@orders-1" || qc.Log[1].Offset != 30 ||
		!qc.Log[1].At.Equal(at("04:07:27")) {
		t.Fatalf("observation log %+v; want at target, reverted to 30 by the client at 04:07:27, at target", qc.Log)
	}
	if qc.AdoptedAt == nil || !qc.AdoptedAt.Equal(at("04:07:33")) {
		t.Fatalf("adopted at %v, want 04:07:33", qc.AdoptedAt)
	}
	if r := v.reverts(); len(r) != 1 || !strings.Contains(r[0], "reverted to 30 by 10.0.0.7@orders-1 at 2026-12-04T04:07:27.000Z, kept again at 2026-12-04T04:07:33.000Z") {
		t.Fatalf("reverts %q", r)
	}
}

func TestVerificationConcludes(t *testing.T) {
	exec := time.Date(2026, 12, 4, 4, 0, 0, 0, time.UTC)
	q0, q1 := QueueRef{Broker: "a", QueueID: 0}, QueueRef{Broker: "a", QueueID: 1}
	s := &Service{o: Options{VerifyWindow: time.Minute}}
	snap := func(a, b int64) snapshot {
		return snapshot{brokers: []brokerState{{name: "a", extents: map[int]mqadmin.TopicOffset{0: {}, 1: {}}, committed: map[int]int64{0: a, 1: b}}}}
	}
	const settle = 5 * time.Second
	t.Run("no client online: verified once kept for the settle time", func(t *testing.T) {
		v := s.startVerification(Outcome{At: exec, Queues: []QueueOutcome{
			{QueueRef: q0, Path: PathDirect, Before: 50, Target: 0, Result: Changed},
			{QueueRef: q1, Path: PathDirect, Before: 50, Target: 0, Result: Changed},
		}})
		if !v.Until.IsZero() {
			t.Fatalf("a window without clients: %s", v.Until)
		}
		v.observe(snap(0, 0), exec.Add(time.Second), nil)
		if c := v.conclude(exec.Add(time.Second), settle); c != watching {
			t.Fatalf("just seen: %d", c)
		}
		v.observe(snap(0, 0), exec.Add(6*time.Second), nil)
		if c := v.conclude(exec.Add(6*time.Second), settle); c != kept {
			t.Fatalf("kept 5 s: %d", c)
		}
	})
	t.Run("clients that never commit: verified at the end of the window", func(t *testing.T) {
		v := s.startVerification(Outcome{At: exec, Queues: []QueueOutcome{
			{QueueRef: q0, Path: PathServer, Before: 5, Target: 50, Result: Changed, Clients: []string{"c1"}},
		}})
		for sec := 1; sec < 60; sec += 10 {
			now := exec.Add(time.Duration(sec) * time.Second)
			v.observe(snap(50, 0), now, nil)
			if c := v.conclude(now, settle); c != watching {
				t.Fatalf("at %d s, inside the window: %d", sec, c)
			}
		}
		v.observe(snap(50, 0), exec.Add(time.Minute), nil)
		if c := v.conclude(exec.Add(time.Minute), settle); c != kept {
			t.Fatalf("at the end of the window: %d", c)
		}
	})
	t.Run("consumption from the target ends the wait early", func(t *testing.T) {
		v := s.startVerification(Outcome{At: exec, Queues: []QueueOutcome{
			{QueueRef: q0, Path: PathServer, Before: 50, Target: 0, Result: Changed, Clients: []string{"c1"}},
			{QueueRef: q1, Path: PathServer, Before: 50, Target: 0, Result: Changed, Clients: []string{"c1"}},
		}})
		v.observe(snap(0, 0), exec.Add(time.Second), nil)
		v.observe(snap(3, 0), exec.Add(2*time.Second), nil)
		if c := v.conclude(exec.Add(20*time.Second), settle); c != watching {
			t.Fatalf("one queue consumed on, the other not: %d", c)
		}
		v.observe(snap(9, 4), exec.Add(21*time.Second), nil)
		if c := v.conclude(exec.Add(26*time.Second), settle); c != kept {
			t.Fatalf("both consumed on: %d %+v", c, v.Queues)
		}
	})
	t.Run("a revert not put right: not honoured at the deadline", func(t *testing.T) {
		v := s.startVerification(Outcome{At: exec, Queues: []QueueOutcome{
			{QueueRef: q0, Path: PathServer, Before: 5, Target: 50, Result: Changed, Clients: []string{"c1"}},
		}})
		v.observe(snap(50, 0), exec.Add(time.Second), nil)
		v.observe(snap(5, 0), exec.Add(25*time.Second), func(QueueCheck) string { return "c1" })
		if c := v.conclude(exec.Add(119*time.Second), settle); c != watching {
			t.Fatalf("before the deadline: %d", c)
		}
		if c := v.conclude(exec.Add(2*time.Minute), settle); c != notKept {
			t.Fatalf("at the deadline: %d", c)
		}
		if p := v.problems(); len(p) != 1 || p[0] != "a/0 at 5, target 50: reverted by c1" {
			t.Fatalf("problems %q", p)
		}
	})
	t.Run("handed to the clients: waiting is not a revert", func(t *testing.T) {
		v := s.startVerification(Outcome{At: exec, Queues: []QueueOutcome{
			{QueueRef: q0, Path: PathClient, Before: 50, Target: 10, Result: Handed, Clients: []string{"c1"}},
		}})
		v.observe(snap(50, 0), exec.Add(time.Second), nil)
		v.observe(snap(52, 0), exec.Add(5*time.Second), nil)
		if q := v.Queues[0]; q.Verdict != Waiting || q.Honoured {
			t.Fatalf("before the client commits: %+v", q)
		}
		v.observe(snap(10, 0), exec.Add(15*time.Second), nil)
		v.observe(snap(50, 0), exec.Add(40*time.Second), nil)
		if q := v.Queues[0]; q.Verdict != ConsumedOn || q.AdoptedAt == nil {
			t.Fatalf("the client committed the reset and consumed again: %+v", q)
		}
		if c := v.conclude(exec.Add(45*time.Second), settle); c != kept {
			t.Fatalf("conclusion %d", c)
		}
	})
}

func TestObservationLogIsBounded(t *testing.T) {
	exec := time.Now()
	q := newCheck(QueueOutcome{QueueRef: QueueRef{Broker: "a"}, Path: PathServer, Before: 0, Target: 1000, Result: Changed})
	for i := range 100 {
		q.observe(int64(1000+i), 2000, exec.Add(time.Duration(i)*time.Second), nil)
	}
	if len(q.Log) != maxLog || q.LogDropped != 100-maxLog || q.Log[0].Offset != 1000 || q.Log[maxLog-1].Offset != 1099 {
		t.Fatalf("log of %d entries, %d dropped, from %d to %d", len(q.Log), q.LogDropped, q.Log[0].Offset, q.Log[len(q.Log)-1].Offset)
	}
}

// TestVerificationAtTheEnd replays a rewind by three on 5.3.3 of a caught-up group whose
// real rocketmq-client-go consumer read the three messages again: the broker wrote 5, the
// client learned of it at its next pull 19 s later and committed 8, the end of the queue,
// without a step between. That keeps the reset once the window is over; had the client
// then committed the target, the 8 was a revert, and the audit reason says so.
func TestVerificationAtTheEnd(t *testing.T) {
	exec := time.Date(2026, 12, 4, 8, 28, 8, 0, time.UTC)
	q := QueueRef{Broker: "broker-a", QueueID: 0}
	s := &Service{o: Options{VerifyWindow: time.Minute}}
	start := func() *Verification {
		return s.startVerification(Outcome{At: exec, Queues: []QueueOutcome{
			{QueueRef: q, Path: PathServer, Before: 8, Target: 5, Result: Changed, Clients: []string{"c1"}, Owner: "c1"},
		}})
	}
	snap := func(off int64) snapshot {
		return snapshot{brokers: []brokerState{{name: "broker-a", extents: map[int]mqadmin.TopicOffset{0: {MaxOffset: 8}}, committed: map[int]int64{0: off}}}}
	}
	const settle = 15 * time.Second
	v := start()
	v.observe(snap(5), exec.Add(time.Second), nil)
	v.observe(snap(8), exec.Add(19*time.Second), nil)
	if got := v.Queues[0]; got.Verdict != AtEnd || !got.Honoured || got.AdoptedAt != nil {
		t.Fatalf("back at the end: %+v", got)
	}
	if c := v.conclude(exec.Add(50*time.Second), settle); c != watching {
		t.Fatalf("before the window is over: conclusion %d, want watching", c)
	}
	if c := v.conclude(exec.Add(time.Minute), settle); c != kept {
		t.Fatalf("at the end of the window: conclusion %d, want kept", c)
	}

	v = start()
	v.observe(snap(5), exec.Add(time.Second), nil)
	v.observe(snap(8), exec.Add(19*time.Second), nil)
	v.observe(snap(5), exec.Add(25*time.Second), nil)
	if got := v.Queues[0]; got.Verdict != AtTarget || got.AdoptedAt == nil {
		t.Fatalf("the target again after the end: %+v", got)
	}
	if r := v.reverts(); len(r) != 1 || !strings.Contains(r[0], "broker-a/0 went back to 8 at 2026-12-04T08:28:27.000Z, at the target again at 2026-12-04T08:28:33.000Z") {
		t.Fatalf("reverts %q", r)
	}
}
