package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Drain states: how a backlog moves over the recent window.
const (
	DrainCaughtUp = "caught_up" // nothing waits
	DrainDraining = "draining"  // the backlog shrinks; Seconds is the estimate
	DrainGrowing  = "growing"   // the backlog grows: it will not drain at these rates
	DrainFlat     = "flat"      // the backlog neither grows nor shrinks: it will not drain either
	DrainUnknown  = "unknown"   // not enough to say; Reason says why
)

// Drain is a time-to-drain estimate. Nil pointers are unknown.
type Drain struct {
	State string `db:"drain_state"`
	// Seconds is the estimated time until nothing waits: 0 caught up, set while draining.
	Seconds *float64 `db:"drain_seconds"`
	// LagRate is how many messages a second the lag changes by; negative while it shrinks.
	LagRate *float64 `db:"lag_rate"`
	// Reason says it for people: "backlog shrinking by 12 msg/s: drained in about 14 min".
	Reason string `db:"drain_reason"`
}

// WillNotDrain reports whether the backlog will not drain at the current rates.
func (d Drain) WillNotDrain() bool { return d.State == DrainGrowing || d.State == DrainFlat }

// GroupDrain is a group's estimate: the worst of its topics.
type GroupDrain struct {
	Group string
	Drain
}

// TopicDrain is the estimate for one topic a group reads, with the rates behind it.
type TopicDrain struct {
	Group       string   `db:"group_name"`
	Topic       string   `db:"topic"`
	State       string   `db:"state"`
	Seconds     *float64 `db:"drain_seconds"`
	Lag         *int64   `db:"lag"`
	LagRate     *float64 `db:"lag_rate"`
	ProduceRate *float64 `db:"produce_rate"`
	ConsumeRate *float64 `db:"consume_rate"`
	Reason      string   `db:"reason"`
}

// saveDrains stores the cycle's per-topic estimates in place of what the groups had, and
// the estimates of groups not read (stale) on their rows; saveGroups wrote those of the
// groups read.
func saveDrains(ctx context.Context, tx pgx.Tx, c Cycle) error {
	if len(c.GroupDrains) == 0 {
		return nil
	}
	read := make(map[string]bool, len(c.Groups))
	for _, g := range c.Groups {
		read[g.Group] = true
	}
	var (
		all, names, states, reasons []string
		seconds, rates              []*float64
	)
	for _, d := range c.GroupDrains {
		all = append(all, d.Group)
		if read[d.Group] {
			continue
		}
		names = append(names, d.Group)
		states = append(states, d.State)
		seconds = append(seconds, d.Seconds)
		rates = append(rates, d.LagRate)
		reasons = append(reasons, d.Reason)
	}
	if len(names) > 0 {
		if _, err := tx.Exec(ctx, `
			UPDATE group_state g SET drain_state = d.state, drain_seconds = d.seconds, lag_rate = d.rate, drain_reason = d.reason
			FROM unnest($2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[]) AS d(group_name, state, seconds, rate, reason)
			WHERE g.cluster_id = $1 AND g.group_name = d.group_name`,
			c.ClusterID, names, states, seconds, rates, reasons); err != nil {
			return fmt.Errorf("group drains: %w", err)
		}
	}
	rows := make([][]any, len(c.TopicDrains))
	for i, d := range c.TopicDrains {
		rows[i] = []any{c.ClusterID, d.Group, d.Topic, d.State, d.Seconds, d.Lag, d.LagRate, d.ProduceRate, d.ConsumeRate, d.Reason}
	}
	if err := replaceGroupRows(ctx, tx, c.ClusterID, all, "topic_drain",
		[]string{"cluster_id", "group_name", "topic", "state", "drain_seconds", "lag", "lag_rate", "produce_rate", "consume_rate", "reason"},
		[]string{"cluster_id", "group_name", "topic"}, rows); err != nil {
		return fmt.Errorf("topic drains: %w", err)
	}
	return nil
}

// TopicDrains returns a group's per-topic estimates, by topic.
func TopicDrains(ctx context.Context, db DBTX, cluster, group string) ([]TopicDrain, error) {
	rows, err := db.Query(ctx, `
		SELECT d.group_name, d.topic, d.state, d.drain_seconds, d.lag, d.lag_rate, d.produce_rate, d.consume_rate, d.reason
		FROM topic_drain d JOIN cluster c ON c.id = d.cluster_id
		WHERE c.name = $1 AND d.group_name = $2 ORDER BY d.topic`, cluster, group)
	if err != nil {
		return nil, fmt.Errorf("topic drains %s/%s: %w", cluster, group, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[TopicDrain])
}

// ClusterTopicDrain is a TopicDrain with its cluster, for metrics.
type ClusterTopicDrain struct {
	Cluster string `db:"cluster"`
	TopicDrain
}

// AllTopicDrains returns every group's per-topic estimates across clusters.
func AllTopicDrains(ctx context.Context, db DBTX) ([]ClusterTopicDrain, error) {
	rows, err := db.Query(ctx, `
		SELECT c.name AS cluster, d.group_name, d.topic, d.state, d.drain_seconds, d.lag, d.lag_rate, d.produce_rate,
		       d.consume_rate, d.reason
		FROM topic_drain d JOIN cluster c ON c.id = d.cluster_id ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("topic drains: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[ClusterTopicDrain])
}
