package stacktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/migrations"
)

// pgServer is the Postgres server the package uses: its superuser URL for a database name.
type pgServer struct {
	url     func(db string) string
	logTail func() string
}

var (
	server   once[pgServer]
	template once[string]
)

func postgresServer(t testing.TB) pgServer {
	t.Helper()
	return server.get(t, func(ctx context.Context) (pgServer, error) {
		if u := os.Getenv(EnvPostgres); u != "" {
			cfg, err := pgx.ParseConfig(u)
			if err != nil {
				return pgServer{}, fmt.Errorf("%s: %w", EnvPostgres, err)
			}
			return pgServer{
				url: func(db string) string {
					return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, db)
				},
				logTail: func() string {
					return "(postgres started by devstack test; its log is kept in the run's log directory)"
				},
			}, nil
		}
		pg, err := stack.StartPostgres(ctx)
		if err != nil {
			return pgServer{}, err
		}
		atExit(func() { pg.Stop() }) //nolint:errcheck // best effort at exit
		return pgServer{url: pg.URL, logTail: func() string { return pg.LogTail(30) }}, nil
	})
}

// migratedTemplate creates, once per package, a database with every migration applied, to
// clone for each test.
func migratedTemplate(t testing.TB, srv pgServer) string {
	t.Helper()
	return template.get(t, func(ctx context.Context) (string, error) {
		name := "tpl_" + randomName()
		if err := adminExec(ctx, srv, "CREATE DATABASE "+name); err != nil {
			return "", err
		}
		atExit(func() { adminExec(context.Background(), srv, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") }) //nolint:errcheck // best effort
		migs, err := storage.LoadMigrations(migrations.FS)
		if err != nil {
			return "", err
		}
		pool, err := storage.Open(ctx, srv.url(name))
		if err != nil {
			return "", err
		}
		defer pool.Close()
		if _, err := storage.Migrate(ctx, pool, migs); err != nil {
			return "", err
		}
		return name, nil
	})
}

// DatabaseURL returns the URL of a new database with every migration applied, dropped when
// the test ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	srv := postgresServer(t)
	tpl := migratedTemplate(t, srv)
	name := "test_" + randomName()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adminExec(ctx, srv, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tpl)); err != nil {
		failf(t, "%v\n%s", err, srv.logTail())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(srv.logTail())
		}
		adminExec(context.Background(), srv, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck // best effort
	})
	return srv.url(name)
}

// DB returns a pool on a new migrated database, closed and dropped when the test ends.
func DB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := DatabaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := storage.Open(ctx, url)
	if err != nil {
		failf(t, "%v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// SuperuserURL returns the URL of database db on the test server as its superuser, for
// tests that must act as a database administrator would (tampering, restarts).
func SuperuserURL(t testing.TB, db string) string {
	t.Helper()
	return postgresServer(t).url(db)
}

func adminExec(ctx context.Context, srv pgServer, sql string) error {
	conn, err := pgx.Connect(ctx, srv.url("postgres"))
	if err != nil {
		return fmt.Errorf("connect to test Postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
