package reset

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

func TestSpecCheck(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	base := Spec{Cluster: "prod", Group: "orders", Topic: "payments", Kind: ToEarliest}
	tests := []struct {
		name    string
		change  func(*Spec)
		wantErr string
	}{
		{name: "earliest", change: func(*Spec) {}},
		{name: "retry topic of the group", change: func(s *Spec) { s.Topic = "%RETRY%orders" }},
		{name: "no cluster", change: func(s *Spec) { s.Cluster = "" }, wantErr: "Choose a cluster"},
		{name: "bad group", change: func(s *Spec) { s.Group = "orders; drop" }, wantErr: "not a valid RocketMQ group name"},
		{name: "bad topic", change: func(s *Spec) { s.Topic = "" }, wantErr: "not a valid RocketMQ topic name"},
		{name: "unknown kind", change: func(s *Spec) { s.Kind = "rewind" }, wantErr: "Choose what to reset to"},
		{name: "another group's retry topic", change: func(s *Spec) { s.Topic = "%RETRY%billing" }, wantErr: "belongs to another group"},
		{name: "dead-letter topic", change: func(s *Spec) { s.Topic = "%DLQ%orders" }, wantErr: "Dead-letter topics"},
		{name: "time missing", change: func(s *Spec) { s.Kind = ToTime }, wantErr: "Give the point in time"},
		{name: "time in the future", change: func(s *Spec) { s.Kind, s.Time = ToTime, now.Add(time.Hour) }, wantErr: "in the future"},
		{name: "shift of zero", change: func(s *Spec) { s.Kind = Shift }, wantErr: "number of messages to shift by"},
		{name: "shift beyond any queue", change: func(s *Spec) { s.Kind, s.By = Shift, -(1 << 41) }, wantErr: "beyond any queue"},
		{name: "exact without offsets", change: func(s *Spec) { s.Kind = ToOffsets }, wantErr: "at least one queue"},
		{name: "negative offset", change: func(s *Spec) {
			s.Kind, s.Offsets = ToOffsets, map[QueueRef]int64{{Broker: "broker-a", QueueID: 0}: -1}
		}, wantErr: "is negative"},
		{name: "copy", change: func(s *Spec) { s.Kind, s.Source = ToGroup, "orders-old" }},
		{name: "copy without a source", change: func(s *Spec) { s.Kind = ToGroup }, wantErr: "whose offsets to copy"},
		{name: "copy from itself", change: func(s *Spec) { s.Kind, s.Source = ToGroup, "orders" }, wantErr: "choose another group"},
		{name: "copy from a bad name", change: func(s *Spec) { s.Kind, s.Source = ToGroup, "a b" }, wantErr: "not a valid RocketMQ group name"},
		{name: "copy on the retry topic", change: func(s *Spec) { s.Kind, s.Source, s.Topic = ToGroup, "orders-old", "%RETRY%orders" }, wantErr: "topic both groups consume"},
		{name: "queue without broker", change: func(s *Spec) { s.Queues = []QueueRef{{QueueID: 1}} }, wantErr: "not a broker name and a queue id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.change(&s)
			err := s.Check(now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if errcode.Code(err) != errcode.Invalid || !strings.Contains(errcode.Message(err), tt.wantErr) {
				t.Fatalf("Check: %v, want invalid saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestSpecCheckKeepsOnlyItsKindsTarget(t *testing.T) {
	a, b := QueueRef{Broker: "broker-b", QueueID: 0}, QueueRef{Broker: "broker-a", QueueID: 3}
	s := Spec{Cluster: "prod", Group: "g", Topic: "t", Kind: ToOffsets, Time: time.Now(), By: 5,
		Offsets: map[QueueRef]int64{a: 10, b: 20}}
	if err := s.Check(time.Now()); err != nil {
		t.Fatal(err)
	}
	if !s.Time.IsZero() || s.By != 0 || len(s.Queues) != 2 || s.Queues[0] != b || s.Queues[1] != a {
		t.Fatalf("after Check: %+v; want no time or shift, and the offsets' queues in order", s)
	}
	if s.AllQueues() || !s.Chosen(a) || s.Chosen(QueueRef{Broker: "broker-a", QueueID: 0}) {
		t.Fatal("the chosen queues are the offsets' queues")
	}
}

func TestParseQueue(t *testing.T) {
	for label, want := range map[string]QueueRef{"broker-a/0": {"broker-a", 0}, "b/c/12": {"b/c", 12}} {
		if got, err := ParseQueue(label); err != nil || got != want || got.String() != label {
			t.Errorf("ParseQueue(%q) = %+v, %v", label, got, err)
		}
	}
	for _, bad := range []string{"", "broker-a", "/3", "broker-a/", "broker-a/x", "broker-a/-1", "broker-a/01", "broker-a/1 "} {
		if _, err := ParseQueue(bad); errcode.Code(err) != errcode.Invalid {
			t.Errorf("ParseQueue(%q): %v, want invalid", bad, err)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"2f1c6a52-8d1e-4a3b-9c7d-0e1f2a3b4c5d": true, "2F1C6A52-8D1E-4A3B-9C7D-0E1F2A3B4C5D": true,
		"": false, "nope": false, "2f1c6a52-8d1e-4a3b-9c7d-0e1f2a3b4c5": false, "2f1c6a52x8d1e-4a3b-9c7d-0e1f2a3b4c5d": false,
		"2f1c6a52-8d1e-4a3b-9c7d-0e1f2a3b4c5g": false,
	} {
		if validID(id) != want {
			t.Errorf("validID(%q) = %v", id, !want)
		}
	}
}

func TestWarnings(t *testing.T) {
	now := time.Now()
	spec := Spec{Group: "g", Topic: "t", Kind: ToTime, Time: now.Add(-48 * time.Hour)}
	p := Preview{
		Brokers: []BrokerInfo{{Name: "a", Version: "V5_3_3", Path: PathServer, Online: 2}, {Name: "b", Path: PathClient, Online: 1}, {Name: "c", Path: PathDirect}},
		Totals:  Totals{Queues: 4, Changed: 3, Clamped: 1, Reconsume: 10},
	}
	codes := func(ws []Warning) map[string]bool {
		out := map[string]bool{}
		for _, w := range ws {
			out[w.Code] = out[w.Code] || w.Blocking
		}
		return out
	}
	got := codes(warnings(spec, p, 0, now))
	for _, c := range []string{"clamped", "server_side", "client_path", "offline", "cold_read", "not_covered"} {
		if _, ok := got[c]; !ok {
			t.Errorf("no %s warning in %v", c, got)
		}
	}
	if got["client_path"] {
		t.Error("a reset to a time is possible through the clients; the warning must not block")
	}
	spec.Kind = Shift
	if got := codes(warnings(spec, p, 1, now)); !got["client_path"] {
		t.Error("a shift cannot go through the clients; the warning must block")
	}
	p.Model = "BROADCASTING"
	ws := warnings(spec, p, 0, now)
	if len(ws) != 1 || ws[0].Code != "broadcasting" || !ws[0].Blocking {
		t.Errorf("broadcasting group: %+v, want one blocking warning", ws)
	}
}

func TestSpecRefusesTimesBeforeAnyMessage(t *testing.T) {
	s := Spec{Cluster: "prod", Group: "g", Topic: "t", Kind: ToTime, Time: time.UnixMilli(-1)}
	if err := s.Check(time.Now()); errcode.Code(err) != errcode.Invalid || !strings.Contains(errcode.Message(err), "before any message") {
		t.Fatalf("a time before the epoch: %v, want invalid (the client path would read -1 as latest)", err)
	}
}

func TestDriftSeesWhatTheBrokerWouldRedo(t *testing.T) {
	s := &Service{o: Options{DriftTolerance: 5}}
	q := QueueRef{Broker: "a", QueueID: 0}
	r := Request{Spec: Spec{Kind: ToLatest}, Preview: Preview{
		Brokers: []BrokerInfo{{Name: "a", Path: PathClient, Online: 1}},
		Queues:  []QueuePreview{{QueueRef: q, Current: 50, Min: 0, Max: 100, Requested: 100, Target: 100}},
	}}
	broker := func(max int64, online int) snapshot {
		return snapshot{brokers: []brokerState{{name: "a", online: online,
			extents: map[int]mqadmin.TopicOffset{0: {MinOffset: 0, MaxOffset: max}}, committed: map[int]int64{0: 50}}}}
	}
	if d := s.drift(r, broker(103, 1)); d != "" {
		t.Fatalf("within the tolerance: %q", d)
	}
	if d := s.drift(r, broker(200, 1)); !strings.Contains(d, "latest would skip more than approved") {
		t.Fatalf("latest grown by 100 on the client path: %q", d)
	}
	if d := s.drift(r, broker(100, 0)); !strings.Contains(d, "by writing offsets directly, not through its online clients") {
		t.Fatalf("consumers gone: %q", d)
	}
}
