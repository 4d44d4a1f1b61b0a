package views

import "time"

// Overview is the first page: each cluster's brokers and groups by health, the groups
// furthest behind, and recent offset resets.
type Overview struct {
	Live     Live
	Clusters []ClusterCard
	// WorstByTime are the groups furthest behind in time; WorstByLag the ones with the
	// most messages waiting whose lag in time is unknown.
	WorstByTime []WorstGroup
	WorstByLag  []WorstGroup
	// Resets are the latest offset resets the viewer may see, the latest first.
	Resets []RecentReset
}

// RecentReset is an offset reset on the overview: what was reset, how and by whom, and
// how it ended.
type RecentReset struct {
	Cluster, Group, Topic string
	// Kind is earliest, latest, timestamp, exact or shift.
	Kind string
	// State is executed, partial, failed, verified or not_honoured.
	State string
	By    string
	At    time.Time
	// Href is the reset request's page, GroupHref the group's.
	Href, GroupHref string
}

// ResetStateLabel names a reset request's state for people.
func ResetStateLabel(state string) string {
	switch state {
	case "not_honoured":
		return "not honoured"
	case "partial":
		return "partly executed"
	}
	return state
}

// resetStateClass is the badge colour of a reset request's state.
func resetStateClass(state string) string {
	switch state {
	case "verified", "executed":
		return "badge ok"
	case "partial", "not_honoured":
		return "badge warn"
	case "failed":
		return "badge err"
	}
	return "badge stale"
}

// ClusterCard is one cluster on the overview.
type ClusterCard struct {
	Name string
	// Polled is false until the poller stored anything for the cluster.
	Polled  bool
	Brokers []BrokerRow
	// Health counts the cluster's groups by status, worst first; Groups is their total.
	Health []HealthCount
	Groups int
	// GroupsHref lists the cluster's groups.
	GroupsHref string
}

// Broker statuses on the overview.
const (
	BrokerUp      = "up"
	BrokerStale   = "stale"
	BrokerFailing = "failing"
)

// BrokerRow is a broker as the poller last saw it.
type BrokerRow struct {
	Name, Addr, Version string
	// Status is BrokerUp, BrokerStale (not reached for three poll intervals) or
	// BrokerFailing (the last poll failed).
	Status string
	Err    string
	// Since is when the current status began as far as is known: for a failing broker the
	// last time it answered (zero if never); otherwise the last poll that reached it.
	Since time.Time
}

// HealthCount is how many groups of a cluster have a status, and the link to them.
type HealthCount struct {
	Health string
	Groups int
	Href   string
}

// WorstGroup is a group in the overview's worst lists.
type WorstGroup struct {
	Cluster, Group, Href string
	Health               HealthBadge
	Lag                  *int64
	LagSeconds           *float64
}
