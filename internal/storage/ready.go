package storage

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Readiness reports whether Postgres answers and its schema is current.
type Readiness struct {
	Pool       *pgxpool.Pool
	Migrations []Migration
}

// Ready returns nil when the database can serve Lagboard.
func (r Readiness) Ready(ctx context.Context) error {
	if err := r.Pool.Ping(ctx); err != nil {
		return pingCause(err)
	}
	return MigrationsCurrent(ctx, r.Pool, r.Migrations)
}
