package poller

import (
	"strings"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	rules := HealthRules{Window: 10 * time.Minute, StallAfter: time.Minute, Interval: 10 * time.Second}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	// series builds one sample every 10 s ending at now, from (lag, committed) pairs.
	series := func(clients int, pts ...[2]int64) []sample {
		out := make([]sample, len(pts))
		for i, p := range pts {
			out[i] = sample{At: now.Add(-time.Duration(len(pts)-1-i) * 10 * time.Second),
				Lag: p[0], LagKnown: true, Committed: p[1], Clients: clients}
		}
		return out
	}
	withRewind := series(2, [2]int64{5, 100}, [2]int64{50, 60})
	withRewind[1].Rewound = 3
	stale := series(1, [2]int64{5, 100})
	stale[0].Stale = true
	unknownLag := series(1, [2]int64{0, 0})
	unknownLag[0].LagKnown = false

	tests := []struct {
		name       string
		window     []sample
		lastMove   time.Time
		want       string
		wantReason string
	}{
		{"no data", nil, time.Time{}, Unknown, "not polled"},
		{"stale broker", stale, now, Unknown, "did not answer"},
		{"old data", series(1, [2]int64{5, 100})[:1], now, OK, ""},
		{"lag unknown (pop)", unknownLag, now, Unknown, "cannot be computed"},
		{"caught up", series(1, [2]int64{0, 100}, [2]int64{0, 110}), now, OK, "caught up"},
		{"caught up with no clients is fine", series(0, [2]int64{0, 100}), now.Add(-time.Hour), OK, "caught up"},
		{"rewind wins", withRewind, now, Rewind, "3 queues"},
		{"offline", series(0, [2]int64{10, 100}, [2]int64{20, 100}), now.Add(-30 * time.Second), Offline, "20 messages waiting"},
		{"stall", series(2, [2]int64{10, 100}, [2]int64{20, 100}), now.Add(-2 * time.Minute), Stall, "unchanged for 2 min with 2 clients"},
		{"stop after the window", series(2, [2]int64{10, 100}, [2]int64{20, 100}), now.Add(-11 * time.Minute), Stop, "no commit for 11 min"},
		{"stop when clients unknown", series(-1, [2]int64{10, 100}), now.Add(-15 * time.Minute), Stop, "no commit"},
		{"warn: lag grows while consuming", series(1, [2]int64{10, 100}, [2]int64{20, 105}, [2]int64{30, 110}, [2]int64{40, 115}), now, Warn, "grew from 10 to 40"},
		{"three rising polls are not enough", series(1, [2]int64{10, 100}, [2]int64{20, 105}, [2]int64{30, 110}), now, OK, "consuming; 30 messages"},
		{"a dip resets the run", series(1, [2]int64{10, 100}, [2]int64{20, 105}, [2]int64{15, 120}, [2]int64{30, 125}, [2]int64{40, 130}), now, OK, "consuming"},
		{"keeping up", series(1, [2]int64{40, 100}, [2]int64{30, 150}, [2]int64{35, 190}), now, OK, "consuming; 35 messages"},
		{"one message waiting", series(1, [2]int64{0, 100}, [2]int64{1, 150}), now, OK, "consuming; 1 message waiting"},
	}
	tests[2].window[0].At = now.Add(-time.Minute) // "old data": last poll 6 intervals ago
	tests[2].want, tests[2].wantReason = Unknown, "no data for 1 min"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := evaluate(rules, tt.window, tt.lastMove, now)
			if got != tt.want || !strings.Contains(reason, tt.wantReason) {
				t.Fatalf("evaluate = %s %q, want %s containing %q", got, reason, tt.want, tt.wantReason)
			}
		})
	}
}
