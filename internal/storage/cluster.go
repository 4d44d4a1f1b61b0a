package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a configured RocketMQ cluster as stored.
type Cluster struct {
	ID           int64     `db:"id"`
	Name         string    `db:"name"`
	NamesrvAddrs []string  `db:"namesrv_addrs"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

// UpsertCluster records a configured cluster, updating its name servers when they changed.
func UpsertCluster(ctx context.Context, db DBTX, name string, namesrvAddrs []string) (Cluster, error) {
	rows, err := db.Query(ctx, `
		INSERT INTO cluster (name, namesrv_addrs) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET
			namesrv_addrs = excluded.namesrv_addrs,
			updated_at = CASE WHEN cluster.namesrv_addrs = excluded.namesrv_addrs
			                  THEN cluster.updated_at ELSE now() END
		RETURNING id, name, namesrv_addrs, created_at, updated_at`, name, namesrvAddrs)
	if err != nil {
		return Cluster{}, fmt.Errorf("upsert cluster %s: %w", name, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Cluster])
	if err != nil {
		return Cluster{}, fmt.Errorf("upsert cluster %s: %w", name, err)
	}
	return c, nil
}

// ListClusters returns every stored cluster by name.
func ListClusters(ctx context.Context, db DBTX) ([]Cluster, error) {
	rows, err := db.Query(ctx, `SELECT id, name, namesrv_addrs, created_at, updated_at FROM cluster ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Cluster])
}
