package poller

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/storage"
)

func TestEstimateDrain(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// series makes one point every 10 s with the lags and max offsets given.
	series := func(lags, maxes []int64) []drainPoint {
		var pts []drainPoint
		for i := range lags {
			pts = append(pts, drainPoint{At: t0.Add(time.Duration(i) * 10 * time.Second), Lag: lags[i], Max: maxes[i]})
		}
		return pts
	}
	tests := []struct {
		name       string
		pts        []drainPoint
		state      string
		seconds    float64 // when draining or caught up
		lagRate    float64
		reasonPart string
	}{
		{"shrinking steadily", series([]int64{1000, 900, 800, 700, 600, 500, 400}, []int64{0, 0, 0, 0, 0, 0, 0}),
			storage.DrainDraining, 40, -10, "drained in about 40 s (consuming 10 msg/s, producing 0 msg/s)"},
		{"growing", series([]int64{0, 300, 600, 900, 1200, 1500, 1800}, []int64{0, 500, 1000, 1500, 2000, 2500, 3000}),
			storage.DrainGrowing, 0, 30, "growing by 30 msg/s: will not drain (consuming 20 msg/s, producing 50 msg/s)"},
		{"flat backlog", series([]int64{500, 500, 500, 500, 500, 500, 500}, []int64{0, 100, 200, 300, 400, 500, 600}),
			storage.DrainFlat, 0, 0, "not shrinking: will not drain"},
		{"caught up", series([]int64{5, 0, 3, 0, 2, 0, 0}, []int64{0, 10, 20, 30, 40, 50, 60}),
			storage.DrainCaughtUp, 0, -0.0571, "caught up; consuming"},
		{"push consumer committing in steps", series([]int64{600, 600, 300, 300, 0 + 100, 100, 100}, []int64{0, 0, 0, 0, 0, 0, 0}),
			storage.DrainDraining, 10.37, -9.64, "drained in about 10 s"},
		{"keeping up with a message or two in flight", series([]int64{1, 0, 2, 1, 1, 2, 1}, []int64{0, 5, 10, 15, 20, 25, 30}),
			storage.DrainDraining, 2.044, 0.0107, "keeping up: 1 waiting, about 2 s of consuming (consuming 0.5 msg/s, producing 0.5 msg/s)"},
		{"keeping up, committing every 5 s", series([]int64{400, 900, 300, 800, 450, 950, 500}, []int64{0, 1000, 2000, 3000, 4000, 5000, 6000}),
			storage.DrainDraining, 5.1, 1.964, "keeping up: 500 waiting, about 5 s of consuming"},
		{"one message stuck, nothing moving", series([]int64{1, 1, 1, 1, 1, 1, 1}, []int64{9, 9, 9, 9, 9, 9, 9}),
			storage.DrainFlat, 0, 0, "backlog of 1 not shrinking: will not drain at this rate (consuming 0 msg/s, producing 0 msg/s)"},
		{"too little history", series([]int64{100, 90}, []int64{0, 0}), storage.DrainUnknown, 0, 0,
			"measuring: 10 s of history so far, an estimate needs 1 min"},
		{"too little history but caught up", series([]int64{0}, []int64{0}), storage.DrainCaughtUp, 0, 0, "caught up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := estimateDrain("g", "t", tt.pts, time.Minute)
			if d.State != tt.state {
				t.Fatalf("state %s (%s), want %s", d.State, d.Reason, tt.state)
			}
			if !strings.Contains(d.Reason, tt.reasonPart) {
				t.Errorf("reason %q does not say %q", d.Reason, tt.reasonPart)
			}
			switch tt.state {
			case storage.DrainDraining, storage.DrainCaughtUp:
				if d.Seconds == nil || (tt.seconds > 0 && !near(*d.Seconds, tt.seconds)) {
					t.Errorf("seconds %v, want %v", deref(d.Seconds), tt.seconds)
				}
			default:
				if d.Seconds != nil {
					t.Errorf("seconds %v, want none", *d.Seconds)
				}
			}
			if tt.state != storage.DrainUnknown && len(tt.pts) > 2 {
				if d.LagRate == nil || !near(*d.LagRate, tt.lagRate) {
					t.Errorf("lag rate %v, want %v", deref(d.LagRate), tt.lagRate)
				}
			}
		})
	}
}

func TestWorstDrain(t *testing.T) {
	secs := func(v float64) *float64 { return &v }
	topics := []storage.TopicDrain{
		{Topic: "a", State: storage.DrainDraining, Seconds: secs(60), LagRate: secs(-5), Reason: "a drains"},
		{Topic: "b", State: storage.DrainDraining, Seconds: secs(600), LagRate: secs(-1), Reason: "b drains"},
		{Topic: "c", State: storage.DrainCaughtUp, Seconds: secs(0), LagRate: secs(0), Reason: "caught up"},
	}
	d := worstDrain(topics)
	if d.State != storage.DrainDraining || *d.Seconds != 600 || *d.LagRate != -6 || d.Reason != "b: b drains" {
		t.Errorf("draining topics: %+v, want the slowest (b, 600 s) and the summed rate", d)
	}
	topics = append(topics, storage.TopicDrain{Topic: "d", State: storage.DrainGrowing, LagRate: secs(3), Reason: "growing"})
	if d := worstDrain(topics); d.State != storage.DrainGrowing || d.Seconds != nil || d.Reason != "d: growing" {
		t.Errorf("one growing topic: %+v, want the group not to drain", d)
	}
	if d := worstDrain(nil); d.State != storage.DrainUnknown {
		t.Errorf("no topic: %+v", d)
	}
}

func near(a, b float64) bool {
	d := a - b
	return d < 0.01*max(1, abs(b)) && -d < 0.01*max(1, abs(b))
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
