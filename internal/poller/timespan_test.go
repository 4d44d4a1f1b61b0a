package poller

import (
	"context"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

func TestPlausibleStoreTime(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	oldest := now.Add(-time.Hour)
	tests := []struct {
		name   string
		stored time.Time
		span   mqadmin.QueueTimeSpan
		want   bool
	}{
		{"within the queue", now.Add(-10 * time.Minute), mqadmin.QueueTimeSpan{Oldest: oldest}, true},
		{"the oldest message itself", oldest, mqadmin.QueueTimeSpan{Oldest: oldest}, true},
		{"measured from the epoch (no committed offset)", time.UnixMilli(0), mqadmin.QueueTimeSpan{Oldest: oldest}, false},
		{"older than anything kept", oldest.Add(-time.Minute), mqadmin.QueueTimeSpan{Oldest: oldest}, false},
		{"empty queue", now, mqadmin.QueueTimeSpan{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plausibleStoreTime(tt.stored, tt.span); got != tt.want {
				t.Fatalf("plausibleStoreTime = %v, want %v", got, tt.want)
			}
		})
	}
}

// spanAdmin answers ConsumeTimeSpans as a broker does: the delay of each group's own
// committed message on queue 0 of topic "t".
type spanAdmin struct {
	Admin
	stored map[string]time.Time // by group: store time of its first unconsumed message
	oldest time.Time
}

func (a spanAdmin) ConsumeTimeSpans(_ context.Context, _, group, topic string) ([]mqadmin.QueueTimeSpan, error) {
	return []mqadmin.QueueTimeSpan{{
		Queue:  mqadmin.MessageQueue{Topic: topic, BrokerName: "b", QueueID: 0},
		Oldest: a.oldest,
		Delay:  time.Since(a.stored[group]),
	}}, nil
}

// TestStoreTimesPerGroup: two groups behind on one queue, asked in the same cycle, each
// get the store time of the message at their own offset. Keyed by queue alone, the last
// answer won, and the group far behind showed the lag in time of the one a message behind.
func TestStoreTimesPerGroup(t *testing.T) {
	now := time.Now()
	admin := spanAdmin{
		stored: map[string]time.Time{"slow": now.Add(-4 * time.Minute), "fast": now.Add(-time.Second)},
		oldest: now.Add(-time.Hour),
	}
	mq := mqadmin.MessageQueue{Topic: "t", BrokerName: "b", QueueID: 0}
	group := func(name string, offset int64) *groupData {
		return &groupData{name: name, stats: map[string]mqadmin.ConsumeStats{"b": {Offsets: map[mqadmin.MessageQueue]mqadmin.OffsetWrapper{
			mq: {BrokerOffset: 1000, ConsumerOffset: offset},
		}}}}
	}
	for range 20 { // map order decided which answer won
		p := &Poller{admin: newCountingAdmin(admin)}
		f := &fetched{
			brokers: []*brokerPool{newBrokerPool("b", "127.0.0.1:1", 4, time.Second)},
			groups:  map[string]*groupData{"slow": group("slow", 534), "fast": group("fast", 999)},
		}
		got := p.fetchStoreTimes(context.Background(), f)
		for name, offset := range map[string]int64{"slow": 534, "fast": 999} {
			st, ok := got[spanKey{"t", "b", 0, offset}]
			if !ok {
				t.Fatalf("%s: no store time", name)
			}
			if d := st.Sub(admin.stored[name]).Abs(); d > 500*time.Millisecond {
				t.Fatalf("%s: store time %v, the broker said %v", name, st, admin.stored[name])
			}
		}
	}
}
