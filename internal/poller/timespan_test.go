package poller

import (
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
