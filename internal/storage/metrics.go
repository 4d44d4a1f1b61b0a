package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TopicLag is a group's lag on one topic, summed over its queues, and the messages that
// expired there before the group read them.
type TopicLag struct {
	Cluster    string   `db:"cluster"`
	Group      string   `db:"group_name"`
	Topic      string   `db:"topic"`
	Lag        int64    `db:"lag"`
	LagSeconds *float64 `db:"lag_seconds"`
	Expired    int64    `db:"expired"`
}

// TopicLags returns every group's lag per topic across clusters, from the latest state, as
// the group page counts it: a queue committed past its newest message has none waiting, and
// one never committed on counts from where its first client will start (left out when that
// is unknown).
func TopicLags(ctx context.Context, db DBTX) ([]TopicLag, error) {
	rows, err := db.Query(ctx, `
		SELECT c.name AS cluster, q.group_name, q.topic,
		       coalesce(sum(CASE WHEN q.committed THEN greatest(q.max_offset - q.consumer_offset, 0)
		                         ELSE greatest(q.max_offset - q.start_offset, 0) END), 0)::bigint AS lag,
		       max(`+queueLagSeconds+`) AS lag_seconds,
		       coalesce(sum(greatest(q.min_offset - q.consumer_offset, 0)) FILTER (WHERE q.committed), 0)::bigint AS expired
		FROM queue_state q JOIN group_state g USING (cluster_id, group_name) JOIN cluster c ON c.id = q.cluster_id
		GROUP BY c.name, q.group_name, q.topic
		ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("topic lags: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[TopicLag])
}

// GroupHealth is a group's status for metrics, with what its kind of consumption adds.
type GroupHealth struct {
	Cluster     string    `db:"cluster"`
	Group       string    `db:"group_name"`
	Health      string    `db:"health"`
	Clients     *int32    `db:"clients"`
	PolledAt    time.Time `db:"polled_at"`
	Kind        string    `db:"kind"`
	Inflight    *int64    `db:"inflight"`
	Redelivered *int64    `db:"redelivered"`
	DLQTotal    *int64    `db:"dlq_total"`
}

// GroupHealths returns every group's status across clusters.
func GroupHealths(ctx context.Context, db DBTX) ([]GroupHealth, error) {
	rows, err := db.Query(ctx, `
		SELECT c.name AS cluster, g.group_name, g.health, g.clients, g.polled_at, g.kind, g.inflight, g.redelivered, g.dlq_total
		FROM group_state g JOIN cluster c ON c.id = g.cluster_id ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("group healths: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[GroupHealth])
}
