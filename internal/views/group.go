package views

import (
	"net/url"
	"strings"
	"time"
)

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
	// Kind is how the group consumes: "push", "pull", "simple", "pop", or "" when unknown;
	// KindInferred when no online client said it. Orderly is nil when nobody said.
	Kind         string
	KindInferred bool
	Orderly      *bool
	// Expired counts messages deleted before the group read them; nil when unknown.
	Expired *int64
	// PastEnd and NeverCommitted count queues committed beyond their newest message, and
	// queues with messages the group never committed on.
	PastEnd, NeverCommitted int32
	// Redelivered, DeliveredPerMin and AckedPerMin describe pop consumption (simple and
	// pop groups); nil when unknown.
	Redelivered, DeliveredPerMin, AckedPerMin *int64
	// InflightSince is when the pop records the in-flight count comes from begin;
	// InflightVisibleAt when the first message in flight comes back unless acknowledged.
	InflightSince, InflightVisibleAt *time.Time
	// Notes explain what is and is not known for this kind of group (broadcasting, pop).
	Notes []string
	// Topics are the topics the group reads; Retry is its retry topic, shown apart.
	Topics []TopicQueues
	Retry  *TopicQueues
	// Online are the group's clients as of the last poll.
	Online []Client
	// PerClient is the progress of each client of a broadcasting group, which keeps its
	// offsets itself; empty for other groups.
	PerClient []ClientProgress
	Chart     Chart
	// DeadLettersHref and BlockedHref load the dead letters and the messages stalled queues
	// wait on, read from the brokers when the page opens; "" when there are none to show.
	DeadLettersHref, BlockedHref string
	// CanRequestReset shows the link to request an offset reset of the group; the reset
	// routes check the permission again.
	CanRequestReset bool
	// Drain is when the group's backlog will be gone at the recent rates.
	Drain Drain
	// Alerts are the alerts firing about the group; CanManageAlerts shows the buttons that
	// acknowledge them (the route checks the permission again).
	Alerts          []GroupAlert
	CanManageAlerts bool
}

// GroupAlert is an alert firing about a group.
type GroupAlert struct {
	Rule, Trigger, Summary string
	Since                  time.Time
	// AckedBy and AckedAt say who acknowledged it; AckHref is where to post to.
	AckedBy string
	AckedAt *time.Time
	AckHref string
}

// Broadcasting reports whether every client of the group consumes every message.
func (m GroupPage) Broadcasting() bool { return m.Model == "BROADCASTING" }

// Pops reports whether the group consumes by pop (simple and pop consumers).
func (m GroupPage) Pops() bool { return m.Kind == "simple" || m.Kind == "pop" }

// ShowOwners reports whether the queue tables have an owner column: not for pop or
// broadcasting consumption, where no client owns a queue, and not when no queue's owner is
// known (a note then says why, once).
func (m GroupPage) ShowOwners() bool {
	if m.Pops() || m.Broadcasting() {
		return false
	}
	for _, t := range append(m.Topics, m.retryTopics()...) {
		for _, q := range t.Queues {
			if q.Owner != "" {
				return true
			}
		}
	}
	return false
}

func (m GroupPage) retryTopics() []TopicQueues {
	if m.Retry == nil {
		return nil
	}
	return []TopicQueues{*m.Retry}
}

// Contradictions lists the figures the page would show both as a value and as unknown,
// or in two ways that cannot both be true; a page shows one truth per number, so this is
// empty for every page rendered. Tests check it on every kind of group.
func (m GroupPage) Contradictions() []string {
	var out []string
	said := func(phrase string) bool {
		for _, n := range m.Notes {
			if strings.Contains(strings.ToLower(n), phrase) {
				return true
			}
		}
		return false
	}
	if m.LagSeconds != nil && said("lag in time is unknown") {
		out = append(out, "lag in time "+Age(m.LagSeconds)+", and a note says it is unknown")
	}
	if m.LagSeconds == nil && m.LagTimeSource != "" && m.LagTimeSource != "unknown" {
		out = append(out, "lag in time unknown, and "+m.LagTimeSource)
	}
	if m.Lag != nil && said("the lag is unknown") {
		out = append(out, "lag "+Messages(m.Lag)+", and a note says it is unknown")
	}
	if m.Inflight != nil && said("in flight is unknown") {
		out = append(out, "in flight "+Messages(m.Inflight)+", and a note says it is unknown")
	}
	if m.Inflight == nil && !m.Pops() {
		known, all := 0, 0
		for _, t := range m.Topics {
			for _, q := range t.Queues {
				all++
				if q.Inflight != nil {
					known++
				}
			}
		}
		if all > 0 && known == all {
			out = append(out, "in flight unknown for the group, and known on every queue")
		}
	}
	if m.Clients != nil && *m.Clients > 0 && len(m.Online) == 0 {
		out = append(out, Clients(m.Clients)+" clients online, and none listed")
	}
	if m.Clients != nil && int(*m.Clients) < len(m.Online) {
		out = append(out, Clients(m.Clients)+" clients online, and more listed")
	}
	if m.ShowOwners() && said("owns each queue is unknown") {
		out = append(out, "queue owners shown, and a note says they are unknown")
	}
	return out
}

// KindLabel names how a group consumes, for people: "simple consumer (receive and ack)",
// "push consumer, orderly", "pull consumer (remembered)".
func KindLabel(kind string, inferred bool, orderly *bool) string {
	var s string
	switch kind {
	case "push":
		s = "push consumer"
	case "pull":
		s = "pull consumer"
	case "simple":
		s = "simple consumer (receive and ack)"
	case "pop":
		s = "pop consumer"
	case "":
		if !inferred {
			return "unknown: the broker does not know how its online clients consume " +
				"(a pop client on a 4.x broker, which has no pop, reads so)"
		}
		return Unknown
	default:
		return Unknown
	}
	if orderly != nil && *orderly {
		s += ", orderly"
	}
	if inferred {
		s += " (no client online says so)"
	}
	return s
}

// ResetHref is the page that requests an offset reset of a group.
func ResetHref(cluster, group string) string {
	return "/resets/new?" + url.Values{"cluster": {cluster}, "group": {group}}.Encode()
}

// ClientProgress is one client of a broadcasting group with its own offsets.
type ClientProgress struct {
	ClientID string
	// Lag sums the queues whose lag is known; Unknown counts the others.
	Lag     int64
	Unknown int
	Queues  []ClientQueue
	// Error says why the client could not report its offsets; it has no queues then.
	Error string
}

// ClientQueue is a broadcasting client's offset on one queue.
type ClientQueue struct {
	Topic, Broker string
	QueueID       int32
	Offset        int64
	// Lag is nil when unknown: the queue's max offset was not read, or is behind the client.
	Lag *int64
}

// TopicQueues is one topic of a group with its queues.
type TopicQueues struct {
	Topic string
	// Drain is when the topic's backlog will be gone; nil when not estimated.
	Drain *Drain
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
	// Owner is the client the queue is assigned to; "" when unknown. Locked when it
	// reported holding the queue's lock (orderly consumption).
	Owner  string
	Locked bool
	Stale  bool
	// Committed is false when the group never committed on the queue: StartOffset (nil
	// when unknown) and StartRule then say where its first client will start.
	Committed   bool
	StartOffset *int64
	StartRule   string
	// Expired counts the queue's messages deleted before the group read them; PastEnd how
	// far the committed offset lies beyond the newest message.
	Expired, PastEnd int64
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
	// Every is how often the chart reloads its data: the poll interval.
	Every time.Duration
}

// EmptyText is the sentence shown instead of the chart when its range holds no known lag.
func (c Chart) EmptyText() string {
	span := "this range"
	for _, r := range c.Ranges {
		if r.Current {
			span = "the last " + strings.TrimPrefix(r.Label, "1 ")
		}
	}
	return "No lag of this group was stored in " + span + ", so there is nothing to draw; the figures above are the latest known."
}

// ChartRange is one of the chart's time ranges.
type ChartRange struct {
	Key, Label, Href string
	Current          bool
}

// ResetMarker is an offset reset drawn on the chart; Href is the reset request's page.
type ResetMarker struct {
	At    time.Time
	Label string
	Href  string
}

// lagOver says a lag and the queues it is summed over: "120 messages over 2 queues".
func lagOver(lag int64, queues int) string {
	msgs := " messages"
	if lag == 1 {
		msgs = " message"
	}
	return Count(lag) + msgs + " over " + Plural(queues, "queue", "queues")
}

// unknownSuffix adds text saying how many queues' lag is unknown, when n are: "; 1 unknown".
func unknownSuffix(n int, text string) string {
	if n == 0 {
		return ""
	}
	return "; " + text
}
