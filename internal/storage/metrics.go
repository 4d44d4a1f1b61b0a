package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TopicLag is a group's lag on one topic, summed over its queues.
type TopicLag struct {
	Cluster    string   `db:"cluster"`
	Group      string   `db:"group_name"`
	Topic      string   `db:"topic"`
	Lag        int64    `db:"lag"`
	LagSeconds *float64 `db:"lag_seconds"`
}

// TopicLags returns every group's lag per topic across clusters, from the latest state.
// Queues whose lag is unknown (a negative difference) are left out of the sums.
func TopicLags(ctx context.Context, db DBTX) ([]TopicLag, error) {
	rows, err := db.Query(ctx, `
		SELECT c.name AS cluster, q.group_name, q.topic,
		       coalesce(sum(q.max_offset - q.consumer_offset) FILTER (WHERE q.max_offset >= q.consumer_offset), 0) AS lag,
		       max(q.lag_seconds) AS lag_seconds
		FROM queue_state q JOIN cluster c ON c.id = q.cluster_id
		GROUP BY c.name, q.group_name, q.topic
		ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("topic lags: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[TopicLag])
}

// GroupHealth is a group's status for metrics.
type GroupHealth struct {
	Cluster  string    `db:"cluster"`
	Group    string    `db:"group_name"`
	Health   string    `db:"health"`
	Clients  *int32    `db:"clients"`
	PolledAt time.Time `db:"polled_at"`
	// Expired counts messages deleted before the group read them; nil when unknown.
	Expired *int64 `db:"expired"`
}

// GroupHealths returns every group's status across clusters.
func GroupHealths(ctx context.Context, db DBTX) ([]GroupHealth, error) {
	rows, err := db.Query(ctx, `
		SELECT c.name AS cluster, g.group_name, g.health, g.clients, g.polled_at, g.expired
		FROM group_state g JOIN cluster c ON c.id = g.cluster_id ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("group healths: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[GroupHealth])
}
