package humanize

import (
	"testing"
	"time"
)

func TestThousands(t *testing.T) {
	tests := map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234",
		-100: "-100", 9223372036854775807: "9,223,372,036,854,775,807"}
	for n, want := range tests {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0: "0 s", 400 * time.Millisecond: "< 1 s", time.Second: "1 s", 45 * time.Second: "45 s", 12 * time.Minute: "12 min", 3 * time.Hour: "3 h",
		3*time.Hour + 5*time.Minute: "3 h 5 min", 52 * time.Hour: "2 d 4 h", 48 * time.Hour: "2 d",
	}
	for d, want := range tests {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	if got := Plural(1, "queue", "queues"); got != "1 queue" {
		t.Error(got)
	}
	if got := Plural(1200, "queue", "queues"); got != "1,200 queues" {
		t.Error(got)
	}
}
