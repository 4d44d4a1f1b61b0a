package poller

import (
	"testing"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// TestKindWhenPopUnanswered: a group registered as a pull consumer (as the 5.x proxy
// registers simple consumers) is called pull only when the brokers answered that it does
// not pop; when one did not answer, what was known stands, or nothing.
func TestKindWhenPopUnanswered(t *testing.T) {
	conn := &mqadmin.ConsumerConnection{ConsumeType: "CONSUME_ACTIVELY"}
	pop := func(ps popTopicStats) map[string]map[string]popTopicStats {
		return map[string]map[string]popTopicStats{"broker-a": {"t": ps}}
	}
	tests := []struct {
		name         string
		stats        popTopicStats
		known        string
		want         string
		wantInferred bool
	}{
		{"answered, no pop", popTopicStats{}, "", KindPull, false},
		{"answered, pops", popTopicStats{popped: true}, "", KindSimple, false},
		{"unanswered, nothing known", popTopicStats{unanswered: true}, "", "", true},
		{"unanswered, pull known", popTopicStats{unanswered: true}, KindPull, KindPull, true},
		{"unanswered, simple known", popTopicStats{unanswered: true}, KindSimple, KindSimple, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &groupData{name: "g", conn: conn, pop: pop(tt.stats)}
			kind, inferred := kindOf(&fetched{}, g, &groupTrack{kind: tt.known})
			if kind != tt.want || inferred != tt.wantInferred {
				t.Fatalf("kind %q inferred %v, want %q %v", kind, inferred, tt.want, tt.wantInferred)
			}
		})
	}
}
