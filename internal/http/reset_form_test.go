package http

import (
	"net/url"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/reset"
)

// TestResetFormTimeToTheMillisecond: the point in time is read to the millisecond, from
// the script's UTC instant or, without scripts, from the typed value read as UTC; a finer
// fraction is dropped, as brokers search store times in milliseconds.
func TestResetFormTimeToTheMillisecond(t *testing.T) {
	base := url.Values{"cluster": {"prod"}, "group": {"orders"}, "topic": {"payments"}, "kind": {"timestamp"}}
	tests := []struct {
		name, local, utc string
		want             time.Time
	}{
		{"script's instant", "2026-12-03T22:49:12.345", "2026-12-04T03:49:12.345Z", time.Date(2026, 12, 4, 3, 49, 12, 345_000_000, time.UTC)},
		{"script's instant, finer", "", "2026-12-04T03:49:12.3456789Z", time.Date(2026, 12, 4, 3, 49, 12, 345_000_000, time.UTC)},
		{"typed, no script", "2026-12-04T03:49:12.007", "", time.Date(2026, 12, 4, 3, 49, 12, 7_000_000, time.UTC)},
		{"typed to the second", "2026-12-04T03:49:12", "", time.Date(2026, 12, 4, 3, 49, 12, 0, time.UTC)},
		{"typed to the minute", "2026-12-04T03:49", "", time.Date(2026, 12, 4, 3, 49, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{}
			for k, vs := range base {
				v[k] = vs
			}
			v.Set("time", tt.local)
			v.Set("time_utc", tt.utc)
			in := parseResetForm(v)
			if in.err != nil {
				t.Fatal(in.err)
			}
			if !in.spec.Time.Equal(tt.want) {
				t.Fatalf("time %s, want %s", in.spec.Time.Format(time.RFC3339Nano), tt.want.Format(time.RFC3339Nano))
			}
			if p := previewView(reset.Preview{}, in.spec); p.Instant == nil || !p.Instant.Equal(tt.want) {
				t.Fatalf("the preview echoes %v, want %s", p.Instant, tt.want)
			}
		})
	}
}

// TestResetFormExactOffsetsCoverTheirQueues: "to exact offsets" covers the queues given an
// offset, so the form shows those queues chosen, whatever scope was sent.
func TestResetFormExactOffsetsCoverTheirQueues(t *testing.T) {
	in := parseResetForm(url.Values{"cluster": {"prod"}, "group": {"orders"}, "topic": {"payments"}, "kind": {"exact"},
		"scope": {"all"}, "queue": {"broker-a/0"}, "offset.broker-a/1": {"5"}, "offset.broker-a/2": {""}})
	if in.err != nil {
		t.Fatal(in.err)
	}
	if !in.form.Chosen() {
		t.Error("the form still says every queue")
	}
	if !in.checked["broker-a/1"] || in.checked["broker-a/0"] || in.checked["broker-a/2"] {
		t.Errorf("ticked %v, want the queue given an offset alone", in.checked)
	}
	if len(in.spec.Offsets) != 1 || in.spec.Offsets[reset.QueueRef{Broker: "broker-a", QueueID: 1}] != 5 {
		t.Errorf("offsets %v", in.spec.Offsets)
	}
}
