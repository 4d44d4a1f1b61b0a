// Package views holds Lagboard's templ components and the view models they render. View
// models are shaped like the screen: handlers fill them, templates only format them.
package views

import (
	"fmt"
	"strconv"
	"time"
)

// Chrome is what every full page needs besides its own content.
type Chrome struct {
	// Asset maps an asset name such as "css/lagboard.css" to its hashed URL.
	Asset func(name string) string
	// Section names the navigation entry to mark as current.
	Section string
	// Version is the running Lagboard version, shown in the footer.
	Version string
}

// Navigation sections.
const (
	SectionOverview = "overview"
)

// Thousands formats n with thin separators the way operators read offsets: 1,234,567.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// ISO formats t for a <time datetime> attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// UTC formats t in UTC for people, used where scripts are off.
func UTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// Plural returns "1 broker" or "3 brokers".
func Plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
