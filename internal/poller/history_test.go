package poller

import (
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/storage"
)

func TestWriteTimeInterpolates(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	now := t0.Add(100 * time.Second)
	tests := []struct {
		name   string
		b      storage.Bracket
		off    int64
		curMax int64
		want   time.Time
		wantOK bool
	}{
		// Max went from 100 (t=0) to 110 (t=10): message 104 is the 5th of 10, written at 5 s.
		{"between samples", storage.Bracket{Before: at(0), BeforeMax: 100, After: at(10), AfterMax: 110}, 104, 200, *at(5), true},
		{"first after before", storage.Bracket{Before: at(0), BeforeMax: 100, After: at(10), AfterMax: 110}, 100, 200, *at(1), true},
		// No later sample stored yet: the current observation (now, 120) stands in.
		{"after is now", storage.Bracket{Before: at(0), BeforeMax: 100}, 109, 120, *at(50), true},
		{"older than history", storage.Bracket{After: at(10), AfterMax: 110}, 50, 120, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := writeTime(tt.b, tt.off, now, tt.curMax)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Fatalf("writeTime = %s, %v; want %s, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
