package poller

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkHealthWindow20000Groups measures what the health windows of 20,000 groups hold
// once full: at the default 10 s interval and 10 min window, 61 samples a group. It is the
// largest part of the web process's memory at that scale (docs/BENCHMARKS.md).
func BenchmarkHealthWindow20000Groups(b *testing.B) {
	const groups, interval, span = 20000, 10 * time.Second, 10 * time.Minute
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tracks := make([]*groupTrack, groups)
		start := time.Now()
		for i := range tracks {
			gt := &groupTrack{}
			for c := range int(span/interval) + 1 {
				at := start.Add(time.Duration(c) * interval)
				gt.window.push(sample{At: at, Lag: int64(i), LagKnown: true, Committed: int64(c),
					Clients: 1, Redelivered: -1, DLQ: -1}, at, span)
			}
			tracks[i] = gt
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "windows-MB")
		b.ReportMetric(float64(len(tracks[0].window.past)), "samples/group")
		runtime.KeepAlive(tracks)
	}
}
