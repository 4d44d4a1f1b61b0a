package poller

import (
	"testing"
	"time"
)

func TestTrackWritesChangesAndFlatStretchEnds(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 10 * time.Second) }
	values := []int{5, 5, 5, 7, 8, 8, 8, 8, 9}
	var tr track[int]
	var written []point[int]
	for i, v := range values {
		w, next := tr.observe(point[int]{At: at(i), V: v})
		written = append(written, w...)
		tr = next
	}
	want := []point[int]{{at(0), 5}, {at(2), 5}, {at(3), 7}, {at(4), 8}, {at(7), 8}, {at(8), 9}}
	if len(written) != len(want) {
		t.Fatalf("wrote %v, want %v", written, want)
	}
	for i := range want {
		if written[i] != want[i] {
			t.Fatalf("wrote %v, want %v", written, want)
		}
	}
}

func TestTrackObserveDoesNotChangeReceiver(t *testing.T) {
	var tr track[int]
	_, tr = tr.observe(point[int]{At: time.Unix(1, 0), V: 1})
	before := tr
	tr.observe(point[int]{At: time.Unix(2, 0), V: 2}) // a write that failed: result dropped
	if tr != before {
		t.Fatal("observe changed its receiver")
	}
}
