package storage

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// migrateLockKey serialises migrations between replicas starting at once.
const migrateLockKey = 0x6c6167626f617264 // "lagboard"

// LoadMigrations reads NNNN_name.sql files from fsys, in version order. Gaps and duplicate
// versions are refused: they mean two branches added a migration each.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(rest, path.Ext(rest)), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected version %d (gap or duplicate)", m.Version, m.Name, i+1)
		}
	}
	return out, nil
}

// Migrate applies the migrations not yet applied, each in its own transaction, under an
// advisory lock so concurrent starts apply each migration once. It returns the versions it
// applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool, migrations []Migration) ([]int, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLockKey)); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLockKey)) //nolint:errcheck // released with the session anyway

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	current, err := appliedVersion(ctx, conn)
	if err != nil {
		return nil, err
	}
	if latest := len(migrations); current > latest {
		return nil, fmt.Errorf("migrate: database is at version %d, newer than this binary's %d: run a newer Lagboard", current, latest)
	}
	var applied []int
	for _, m := range migrations[current:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migration (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: %04d_%s: %w", m.Version, m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// MigrationsCurrent reports whether the database has every migration applied; readiness
// depends on it.
func MigrationsCurrent(ctx context.Context, db DBTX, migrations []Migration) error {
	v, err := appliedVersion(ctx, db)
	if err != nil {
		return err
	}
	if v != len(migrations) {
		return fmt.Errorf("database schema at version %d, want %d", v, len(migrations))
	}
	return nil
}

func appliedVersion(ctx context.Context, db DBTX) (int, error) {
	var v int
	err := db.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migration`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
