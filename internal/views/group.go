package views

import "time"

// GroupPage is the page of one consumer group.
type GroupPage struct {
	Live    Live
	Cluster string
	Group   string
	// Self is the page's own URL, which htmx polls for the live fragment.
	Self          string
	Health        HealthBadge
	Lag           *int64
	RetryLag      *int64
	Inflight      *int64
	LagSeconds    *float64
	LagTimeSource string
	TPS           *float64
	Clients       *int32
	Model, Type   string
	LastCommitAt  *time.Time
	PolledAt      time.Time
	StaleSince    *time.Time
	StaleReason   string
	// Notes explain what is and is not known for this kind of group (broadcasting, pop).
	Notes []string
	// Topics are the topics the group reads; Retry is its retry topic, shown apart.
	Topics []TopicQueues
	Retry  *TopicQueues
	// Online are the group's clients as of the last poll.
	Online []Client
	Chart  Chart
}

// TopicQueues is one topic of a group with its queues.
type TopicQueues struct {
	Topic string
	// Lag sums the queues whose lag is known; Unknown counts the others.
	Lag     int64
	Unknown int
	Queues  []Queue
}

// Queue is one queue of a group's topic.
type Queue struct {
	Broker         string
	QueueID        int32
	MinOffset      *int64
	MaxOffset      int64
	ConsumerOffset int64
	// Lag is nil when it cannot be known (a negative difference, as pop consumers report).
	Lag          *int64
	LagSeconds   *float64
	Inflight     *int64
	LastConsumed *time.Time
	// Owner is the client the queue is assigned to; "" when unknown.
	Owner string
	Stale bool
}

// Client is an online client of a group.
type Client struct {
	ID, Addr, Language, Version string
	// OffsetsError says why a broadcasting client could not report its offsets.
	OffsetsError string
}

// Chart is the lag history chart: where its data comes from, the ranges offered and the
// offset resets to mark on it.
type Chart struct {
	// Src is the JSON route of the chart's data for the selected range.
	Src    string
	Range  string
	Ranges []ChartRange
	Resets []ResetMarker
}

// ChartRange is one of the chart's time ranges.
type ChartRange struct {
	Key, Label, Href string
	Current          bool
}

// ResetMarker is an offset reset drawn on the chart.
type ResetMarker struct {
	At      time.Time
	Label   string
	Request string
}
