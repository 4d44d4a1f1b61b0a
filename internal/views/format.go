package views

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/humanize"
)

// Unknown is what a page shows for a value the poller could not learn. It is never 0.
const Unknown = "unknown"

// Messages formats a count of messages with thousands separators, "unknown" when nil.
func Messages(n *int64) string {
	if n == nil {
		return Unknown
	}
	return humanize.Thousands(*n)
}

// Count formats a count with thousands separators.
func Count(n int64) string { return humanize.Thousands(n) }

// Age formats a lag in time, "unknown" when nil.
func Age(s *float64) string {
	if s == nil {
		return Unknown
	}
	return humanize.Duration(time.Duration(*s * float64(time.Second)))
}

// Rate formats messages per second, "unknown" when nil.
func Rate(r *float64) string {
	if r == nil {
		return Unknown
	}
	if *r >= 100 || *r == math.Trunc(*r) {
		return humanize.Thousands(int64(math.Round(*r))) + "/s"
	}
	return strconv.FormatFloat(*r, 'f', 1, 64) + "/s"
}

// Clients formats a number of online clients, "unknown" when nil.
func Clients(n *int32) string {
	if n == nil {
		return Unknown
	}
	return humanize.Thousands(int64(*n))
}

// Ago says how long before now t was: "12 s ago".
func Ago(t, now time.Time) string {
	return humanize.Duration(max(now.Sub(t), 0)) + " ago"
}

// Model names a message model for people.
func Model(m string) string {
	switch m {
	case "CLUSTERING":
		return "clustering"
	case "BROADCASTING":
		return "broadcasting"
	case "":
		return Unknown
	}
	return strings.ToLower(m)
}

// ConsumeType names a consume type for people.
func ConsumeType(t string) string {
	switch t {
	case "CONSUME_PASSIVELY":
		return "push"
	case "CONSUME_ACTIVELY":
		return "pull"
	case "CONSUME_POP":
		return "pop"
	case "":
		return Unknown
	}
	return strings.ToLower(t)
}

// healthClass is the badge colour of a health status.
func healthClass(h string) string {
	switch h {
	case "OK":
		return "badge ok"
	case "WARN", "REWIND":
		return "badge warn"
	case "STALL", "STOP", "OFFLINE":
		return "badge err"
	}
	return "badge stale"
}

// everySeconds is an htmx polling trigger for interval d, at least a second.
func everySeconds(d time.Duration) string {
	return fmt.Sprintf("every %ds", max(int(d.Round(time.Second)/time.Second), 1))
}

// Sparkline is a small inline chart of a group's lag over the last hour, drawn as SVG on
// the server.
type Sparkline struct {
	// Path is the SVG polyline points; empty when there is no history.
	Points string
	// Label describes the trend for screen readers and the tooltip.
	Label string
}

// Sparkline geometry, in SVG user units.
const (
	sparkWidth  = 80
	sparkHeight = 20
)

// NewSparkline draws values (oldest first; nil where nothing is known) and describes them.
func NewSparkline(values []*int64) Sparkline {
	var lo, hi int64
	first, last := -1, -1
	for i, v := range values {
		if v == nil {
			continue
		}
		if first < 0 {
			first, lo, hi = i, *v, *v
		}
		last = i
		lo, hi = min(lo, *v), max(hi, *v)
	}
	if first < 0 {
		return Sparkline{Label: "no history in the last hour"}
	}
	var b strings.Builder
	step := float64(sparkWidth) / float64(max(len(values)-1, 1))
	for i, v := range values {
		if v == nil {
			continue
		}
		y := float64(sparkHeight) - 1
		if hi > lo {
			y = 1 + (float64(hi-*v)/float64(hi-lo))*float64(sparkHeight-2)
		} else if hi > 0 {
			y = float64(sparkHeight) / 2
		}
		fmt.Fprintf(&b, "%.1f,%.1f ", float64(i)*step, y)
	}
	if first == last {
		// One point is no line: draw it as a short stroke ending where it is.
		b.Reset()
		x := float64(first) * step
		fmt.Fprintf(&b, "%.1f,%.1f %.1f,%.1f", max(x-4, 0), float64(sparkHeight)/2, max(x, 4), float64(sparkHeight)/2)
	}
	from, to := *values[first], *values[last]
	trend := "steady"
	switch {
	case to > from:
		trend = "rising"
	case to < from:
		trend = "falling"
	}
	label := fmt.Sprintf("lag %s over the last hour: from %s to %s messages, highest %s", trend,
		humanize.Thousands(from), humanize.Thousands(to), humanize.Thousands(hi))
	return Sparkline{Points: strings.TrimSpace(b.String()), Label: label}
}

// Plural is a count with its noun in agreement: "1 queue", "2 queues".
func Plural(n int, one, many string) string { return humanize.Plural(n, one, many) }
