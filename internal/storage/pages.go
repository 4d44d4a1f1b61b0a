package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// This file and the other pages*.go files hold the reads of the dashboard pages. Every read
// that lists groups of more than one cluster takes the viewer's Scope (pages_scope.go), so
// a page never shows what the access policy hides.

// ClusterNamed returns the stored cluster of that name; pgx.ErrNoRows when there is none.
func ClusterNamed(ctx context.Context, db DBTX, name string) (Cluster, error) {
	rows, err := db.Query(ctx, `SELECT id, name, namesrv_addrs, created_at, updated_at FROM cluster WHERE name = $1`, name)
	if err != nil {
		return Cluster{}, fmt.Errorf("cluster %s: %w", name, err)
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Cluster])
}

// BrokerStatus is a broker as the poller last saw it.
type BrokerStatus struct {
	Cluster string `db:"cluster"`
	Broker  string `db:"broker_name"`
	Addr    string `db:"addr"`
	Version string `db:"version"`
	// OKAt is the end of the last cycle the broker answered completely; nil if never.
	OKAt *time.Time `db:"ok_at"`
	// Err and ErrAt are the last failure and when it was seen.
	Err   *string    `db:"error"`
	ErrAt *time.Time `db:"error_at"`
}

// Failing reports whether the broker's last cycle failed.
func (b BrokerStatus) Failing() bool {
	return b.ErrAt != nil && (b.OKAt == nil || b.ErrAt.After(*b.OKAt))
}

// SeenAt is when the poller last reached the broker, failing or not.
func (b BrokerStatus) SeenAt() time.Time {
	var t time.Time
	if b.OKAt != nil {
		t = *b.OKAt
	}
	if b.ErrAt != nil && b.ErrAt.After(t) {
		t = *b.ErrAt
	}
	return t
}

// BrokerStatuses returns the brokers of the named clusters, by cluster and broker.
func BrokerStatuses(ctx context.Context, db DBTX, clusters []string) ([]BrokerStatus, error) {
	rows, err := db.Query(ctx, `
		SELECT c.name AS cluster, b.broker_name, b.addr, b.version, b.ok_at, b.error, b.error_at
		FROM broker_state b JOIN cluster c ON c.id = b.cluster_id
		WHERE c.name = ANY($1)
		ORDER BY c.name, b.broker_name`, clusters)
	if err != nil {
		return nil, fmt.Errorf("broker statuses: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[BrokerStatus])
}

// HealthCount is how many groups of a cluster have one health status.
type HealthCount struct {
	Cluster string `db:"cluster"`
	Health  string `db:"health"`
	Groups  int    `db:"groups"`
}

// HealthCounts counts the groups of the scope by cluster and health.
func HealthCounts(ctx context.Context, db DBTX, scope Scope) ([]HealthCount, error) {
	visible, args := scope.where("c.name", "g.group_name", 1)
	rows, err := db.Query(ctx, `
		SELECT c.name AS cluster, g.health, count(*)::int AS groups
		FROM group_state g JOIN cluster c ON c.id = g.cluster_id
		WHERE `+visible+`
		GROUP BY c.name, g.health ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, fmt.Errorf("health counts: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[HealthCount])
}

// GroupRow is a group's latest state with the cluster it belongs to.
type GroupRow struct {
	Cluster   string `db:"cluster"`
	ClusterID int64  `db:"cluster_id"`
	GroupState
	// Drain is the group's time to drain: the worst of its topics.
	Drain
}

const groupRowColumns = `c.name AS cluster, g.cluster_id, g.group_name, g.message_model, g.consume_type, g.clients,
	g.topics, g.lag, g.retry_lag, g.inflight, g.lag_seconds, g.lag_time_source, g.consume_tps, g.health,
	g.health_reason, g.last_commit_at, g.polled_at, g.stale_since, g.stale_reason, g.kind, g.kind_inferred, g.orderly,
	g.expired, g.past_end, g.never_committed, g.redelivered, g.delivered_per_min, g.acked_per_min,
	g.inflight_since, g.inflight_visible_at, g.lag_source, g.dlq_total, g.dlq_kept,
	g.drain_state, g.drain_seconds, g.lag_rate, g.drain_reason`

// WorstGroups returns, among the groups of the scope, the n furthest behind in time and the
// n with the most messages waiting whose lag in time is unknown.
func WorstGroups(ctx context.Context, db DBTX, scope Scope, n int) (byTime, byLag []GroupRow, err error) {
	visible, args := scope.where("c.name", "g.group_name", 2)
	queries := []struct {
		dst *[]GroupRow
		sql string
	}{
		{&byTime, `AND g.lag_seconds > 0 ORDER BY g.lag_seconds DESC NULLS LAST, g.group_name LIMIT $1`},
		{&byLag, `AND g.lag_seconds IS NULL AND g.lag > 0 ORDER BY g.lag DESC NULLS LAST, g.group_name LIMIT $1`},
	}
	for _, q := range queries {
		rows, err := db.Query(ctx, `SELECT `+groupRowColumns+` FROM group_state g JOIN cluster c ON c.id = g.cluster_id
			WHERE `+visible+` `+q.sql, append([]any{n}, args...)...)
		if err != nil {
			return nil, nil, fmt.Errorf("worst groups: %w", err)
		}
		if *q.dst, err = pgx.CollectRows(rows, pgx.RowToStructByName[GroupRow]); err != nil {
			return nil, nil, fmt.Errorf("worst groups: %w", err)
		}
	}
	return byTime, byLag, nil
}

// GroupRowOf returns one group of a cluster; pgx.ErrNoRows when it is not stored.
func GroupRowOf(ctx context.Context, db DBTX, cluster, group string) (GroupRow, error) {
	rows, err := db.Query(ctx, `SELECT `+groupRowColumns+` FROM group_state g JOIN cluster c ON c.id = g.cluster_id
		WHERE c.name = $1 AND g.group_name = $2`, cluster, group)
	if err != nil {
		return GroupRow{}, fmt.Errorf("group %s/%s: %w", cluster, group, err)
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[GroupRow])
}
