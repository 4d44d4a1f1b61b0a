package poller

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestHealthWindowKeepsWhatEvaluateReads pushes a long run of varied samples, some polls
// late, into a health window and into a plain slice of whole samples trimmed the same way:
// at every step the window gives evaluate the same samples (in the fields it reads of older
// ones, and the newest whole) and the same verdict.
func TestHealthWindowKeepsWhatEvaluateReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rules := HealthRules{Window: 2 * time.Minute, StallAfter: 40 * time.Second, Interval: 10 * time.Second}
	var (
		w     healthWindow
		whole []sample
		buf   []sample
	)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	lastMove := now
	for step := range 400 {
		now = now.Add(10*time.Second + time.Duration(rng.IntN(30))*time.Second*time.Duration(rng.IntN(2)))
		s := sample{At: now, Lag: int64(rng.IntN(50)), LagKnown: rng.IntN(10) > 0, Committed: int64(step),
			Clients: rng.IntN(3) - 1, Rewound: rng.IntN(20) / 19, Stale: rng.IntN(15) == 0, Kind: KindPush,
			Expired: int64(rng.IntN(3)), PastEnd: rng.IntN(2), Redelivered: int64(rng.IntN(40) - 1), DLQ: int64(step/7 - 1)}
		if rng.IntN(4) == 0 {
			lastMove = now
		}
		w.push(s, now, rules.Window)
		whole = append(whole, s)
		i := 0
		for i < len(whole)-1 && now.Sub(whole[i].At) > rules.Window {
			i++
		}
		whole = whole[i:]

		buf = w.samples(buf)
		if len(buf) != len(whole) || !w.begin().Equal(whole[0].At) {
			t.Fatalf("step %d: %d samples from %s, want %d from %s", step, len(buf), w.begin(), len(whole), whole[0].At)
		}
		for j, got := range buf[:len(buf)-1] {
			want := whole[j]
			if !got.At.Equal(want.At) || got.Lag != want.Lag || got.LagKnown != want.LagKnown || got.Rewound != want.Rewound ||
				got.Stale != want.Stale || got.DLQ != want.DLQ || got.Redelivered != want.Redelivered {
				t.Fatalf("step %d, sample %d: %+v, want %+v", step, j, got, want)
			}
		}
		if last := buf[len(buf)-1]; !last.At.Equal(s.At) || last.Committed != s.Committed || last.Clients != s.Clients ||
			last.Kind != s.Kind || last.Expired != s.Expired || last.PastEnd != s.PastEnd {
			t.Fatalf("step %d: newest %+v, want %+v", step, last, s)
		}
		gs, gr := evaluate(rules, buf, lastMove, now)
		ws, wr := evaluate(rules, slices.Clone(whole), lastMove, now)
		if gs != ws || gr != wr {
			t.Fatalf("step %d: %s %q, want %s %q", step, gs, gr, ws, wr)
		}
	}
	if c := cap(w.past); c > 2*len(w.past)+16 {
		t.Errorf("the window's slice grew to %d for %d samples", c, len(w.past))
	}
}
