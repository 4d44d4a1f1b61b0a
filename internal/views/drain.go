package views

import (
	"time"

	"github.com/lagboard/lagboard/internal/humanize"
)

// Drain is a time-to-drain estimate as pages show it.
type Drain struct {
	// State is caught_up, draining, growing, flat or unknown.
	State   string
	Seconds *float64
	// Reason says it in words, with the rates behind it or why it is unknown.
	Reason string
}

// DrainShort is the estimate in a table cell: "caught up", "≈ 14 min", "will not drain",
// "unknown".
func DrainShort(d Drain) string {
	switch d.State {
	case "caught_up":
		return "caught up"
	case "draining":
		if d.Seconds != nil {
			if *d.Seconds < 1 {
				return "< 1 s"
			}
			return "≈ " + humanize.Duration(time.Duration(*d.Seconds*float64(time.Second)))
		}
	case "growing", "flat":
		return "will not drain"
	}
	return Unknown
}

// drainClass colours the estimate: red when it will not drain, muted when unknown.
func drainClass(d Drain) string {
	switch d.State {
	case "growing", "flat":
		return "drain bad"
	case "unknown", "":
		return "drain unknown"
	}
	return "drain"
}
