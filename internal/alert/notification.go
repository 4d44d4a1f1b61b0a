package alert

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/storage"
)

// Notification kinds.
const (
	Firing   = "firing"   // the alert started, or what triggers it changed
	Repeat   = "repeat"   // still firing, not acknowledged, and the repeat interval passed
	Resolved = "resolved" // the condition ended (the group recovered, the rule changed, the group is gone)
)

// Notification is what Lagboard tells a receiver, decided in a poll's transaction and kept
// in the outbox as it was decided. Receivers get it as JSON (webhook), as text (Slack) or
// as an Alertmanager alert.
type Notification struct {
	// ID is the idempotency key: the same notification delivered twice has the same ID.
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Rule and RuleID name the rule that decided it.
	Rule   string `json:"rule"`
	RuleID int64  `json:"rule_id"`
	// Cluster and Group are what it is about; URL is the group's page.
	Cluster string `json:"cluster"`
	Group   string `json:"group"`
	URL     string `json:"url"`
	// Status is the group's health status when decided; Trigger what made the alert fire
	// (a status, expired, lag, lag_time or drain); Summary says it in words.
	Status  string `json:"status"`
	Trigger string `json:"trigger"`
	Summary string `json:"summary"`
	// Since is when the alert started firing; At when this notification was decided;
	// ResolvedAt is set on resolutions.
	Since      time.Time  `json:"since"`
	At         time.Time  `json:"at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	// The group's figures when decided; absent when unknown.
	Lag          *int64   `json:"lag,omitempty"`
	LagSeconds   *float64 `json:"lag_seconds,omitempty"`
	Expired      *int64   `json:"expired,omitempty"`
	Redelivered  *int64   `json:"redelivered,omitempty"`
	ConsumerKind string   `json:"consumer_kind,omitempty"`
	Drain        *Drain   `json:"drain,omitempty"`
}

// Drain is the group's time to drain in a notification.
type Drain struct {
	State   string   `json:"state"`
	Seconds *float64 `json:"seconds,omitempty"`
	Reason  string   `json:"reason"`
}

// Title is the notification in one line: "STALL: payments-orders on prod (rule …)".
func (n Notification) Title() string {
	what := n.Status
	if !isStatus(n.Trigger) && n.Trigger != TriggerGone {
		what = triggerName(n.Trigger)
	}
	switch n.Kind {
	case Resolved:
		return fmt.Sprintf("Resolved: %s on %s (%s)", n.Group, n.Cluster, n.Rule)
	case Repeat:
		return fmt.Sprintf("Still %s: %s on %s (%s)", what, n.Group, n.Cluster, n.Rule)
	}
	return fmt.Sprintf("%s: %s on %s (%s)", what, n.Group, n.Cluster, n.Rule)
}

func isStatus(s string) bool {
	for _, st := range Statuses {
		if st == s {
			return true
		}
	}
	return false
}

func triggerName(t string) string {
	switch t {
	case TriggerExpired:
		return "messages expired"
	case TriggerLag:
		return "lag over threshold"
	case TriggerLagTime:
		return "lag in time over threshold"
	case TriggerDrain:
		return "will not drain in time"
	}
	return t
}

// newKey returns a random UUID (version 4), the idempotency key of a notification.
func newKey() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand does not fail
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// groupURL is the group's page under base, or "" without a base.
func groupURL(base, cluster, group string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/clusters/" + url.PathEscape(cluster) + "/groups/" + url.PathEscape(group)
}

// figures copies what a notification says of the group.
func figures(n *Notification, g storage.AlertGroup) {
	n.Lag, n.LagSeconds, n.Expired, n.Redelivered, n.ConsumerKind = g.Lag, g.LagSeconds, g.Expired, g.Redelivered, g.Kind
	if g.Drain.State != "" {
		n.Drain = &Drain{State: g.Drain.State, Seconds: g.Drain.Seconds, Reason: g.Drain.Reason}
	}
}

func thousands(n int64) string { return humanize.Thousands(n) }

func humanSeconds(s float64) string {
	return humanize.Duration(time.Duration(s * float64(time.Second)))
}
