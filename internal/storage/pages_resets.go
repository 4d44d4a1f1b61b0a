package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ResetRow is an offset reset request as the dashboard pages mention it.
type ResetRow struct {
	ID          string     `db:"id"`
	Cluster     string     `db:"cluster"`
	Group       string     `db:"group_name"`
	Topic       string     `db:"topic"`
	Kind        string     `db:"kind"`
	State       string     `db:"state"`
	RequestedBy string     `db:"requested_by_name"`
	RequestedAt time.Time  `db:"requested_at"`
	ExecutedBy  string     `db:"executed_by_name"`
	ExecutedAt  *time.Time `db:"executed_at"`
}

// At is when the reset ran, or, for one that never got to run, when it last changed.
func (r ResetRow) At() time.Time {
	if r.ExecutedAt != nil {
		return *r.ExecutedAt
	}
	return r.RequestedAt
}

// ResetStatesRun are the states of requests whose execution was attempted: the overview
// lists them as recent resets.
var ResetStatesRun = []string{"executed", "partial", "failed", "verified", "not_honoured"}

// ResetStatesMoved are the states of requests that set at least one queue's offset: the
// chart marks them. A failed execution set none.
var ResetStatesMoved = []string{"executed", "partial", "verified", "not_honoured"}

const resetColumns = `r.id::text AS id, r.cluster, r.group_name, r.topic, r.kind, r.state, r.requested_by_name,
	r.requested_at, r.executed_by_name, r.executed_at`

// RecentResets returns the n latest reset requests of the scope's groups whose execution
// was attempted, the latest first.
func RecentResets(ctx context.Context, db DBTX, scope Scope, n int) ([]ResetRow, error) {
	visible, args := scope.where("r.cluster", "r.group_name", 3)
	rows, err := db.Query(ctx, `SELECT `+resetColumns+` FROM reset_request r
		WHERE r.state = ANY($1::text[]) AND `+visible+`
		ORDER BY coalesce(r.executed_at, r.updated_at) DESC, r.id LIMIT $2`,
		append([]any{ResetStatesRun, n}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("recent resets: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[ResetRow])
	if err != nil {
		return nil, fmt.Errorf("recent resets: %w", err)
	}
	return out, nil
}

// GroupResets returns the resets of one group that moved offsets from from until to, in
// the order they ran.
func GroupResets(ctx context.Context, db DBTX, cluster, group string, from, to time.Time) ([]ResetRow, error) {
	rows, err := db.Query(ctx, `SELECT `+resetColumns+` FROM reset_request r
		WHERE r.cluster = $1 AND r.group_name = $2 AND r.state = ANY($3::text[])
		  AND r.executed_at >= $4 AND r.executed_at < $5
		ORDER BY r.executed_at, r.id`, cluster, group, ResetStatesMoved, from, to)
	if err != nil {
		return nil, fmt.Errorf("resets of %s/%s: %w", cluster, group, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[ResetRow])
	if err != nil {
		return nil, fmt.Errorf("resets of %s/%s: %w", cluster, group, err)
	}
	return out, nil
}
