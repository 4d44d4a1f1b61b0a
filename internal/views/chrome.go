// Package views holds Lagboard's templ components and the view models they render. View
// models are shaped like the screen: handlers fill them, templates only format them.
package views

import "time"

// Chrome is what every full page needs besides its own content.
type Chrome struct {
	// Asset maps an asset name such as "css/lagboard.css" to its hashed URL.
	Asset func(name string) string
	// Section names the navigation entry to mark as current.
	Section string
	// Version is the running Lagboard version, shown in the footer.
	Version string
	// Styles and Scripts are extra asset names a page needs, such as a chart library.
	Styles, Scripts []string
}

// Navigation sections.
const (
	SectionOverview = "overview"
	SectionGroups   = "groups"
	SectionResets   = "resets"
	SectionAudit    = "audit"
)

// ISO formats t for a <time datetime> attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// UTC formats t in UTC for people, used where scripts are off.
func UTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// ISOMilli formats t for a <time datetime> attribute to the millisecond.
func ISOMilli(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// UTCMilli formats t in UTC for people, to the millisecond.
func UTCMilli(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") }
