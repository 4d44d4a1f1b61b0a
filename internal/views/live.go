package views

import "time"

// Live says how fresh a page's data is and how often it refreshes itself.
type Live struct {
	// UpdatedAt is the oldest of the last polls of the clusters shown; zero before any.
	UpdatedAt time.Time
	// Now is when the page was rendered.
	Now time.Time
	// Every is how often the page refreshes its tables: the poll interval.
	Every time.Duration
	// Stale lists why the data cannot be trusted now: polls older than three intervals,
	// brokers failing. Empty when the data is fresh.
	Stale []string
}

// HealthBadge is a health status and its one-line reason.
type HealthBadge struct {
	// ID makes the reason's element id unique on the page.
	ID     string
	Status string
	Reason string
}
