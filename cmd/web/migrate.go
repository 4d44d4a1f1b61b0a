package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/migrations"
)

// migrate applies pending migrations and exits; it needs only DATABASE_URL.
func migrate(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	url := strings.TrimSpace(getenv(config.EnvDatabaseURL))
	if url == "" {
		return fmt.Errorf("configuration: %s: is required", config.EnvDatabaseURL)
	}
	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	pool, _, err := openDatabase(ctx, logger, url)
	if err != nil {
		return err
	}
	pool.Close()
	return nil
}

// openDatabase connects, applies pending migrations and logs what it applied.
func openDatabase(ctx context.Context, logger *slog.Logger, url string) (*pgxpool.Pool, []storage.Migration, error) {
	migs, err := storage.LoadMigrations(migrations.FS)
	if err != nil {
		return nil, nil, err
	}
	pool, err := storage.Open(ctx, url)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", config.EnvDatabaseURL, err)
	}
	applied, err := storage.Migrate(ctx, pool, migs)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	logger.Info("database ready", "database", config.Redacted(url), "schema_version", len(migs), "applied", applied)
	return pool, migs, nil
}
