package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// acquire calls Acquire and fails the test on an error.
func acquire(t *testing.T, l *storage.SessionLock, wait time.Duration) bool {
	t.Helper()
	held, err := l.Acquire(context.Background(), wait)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	return held
}

// writeOn inserts a row through the lock's session, in a transaction, as a fenced write.
func writeOn(l *storage.SessionLock, v string) error {
	ctx := context.Background()
	tx, err := l.Conn().Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if _, err := tx.Exec(ctx, `INSERT INTO fenced (v) VALUES ($1)`, v); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func fencedRows(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT v FROM fenced ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSessionLockElectsOne: one session holds the lock; another that tries gets nothing,
// one that waits gets it the moment the holder closes its session, and the former holder's
// session is gone, so nothing more is written through it.
func TestSessionLockElectsOne(t *testing.T) {
	pool := stacktest.DB(t)
	cfg := pool.Config().ConnConfig
	a := storage.NewSessionLock(cfg, "test.elect", storage.SessionLockOptions{})
	b := storage.NewSessionLock(cfg, "test.elect", storage.SessionLockOptions{})
	defer a.Close()
	defer b.Close()
	if !acquire(t, a, 0) {
		t.Fatal("a did not get a free lock")
	}
	if acquire(t, b, 0) {
		t.Fatal("b got the lock a holds")
	}
	if acquire(t, b, 200*time.Millisecond) {
		t.Fatal("b got the lock a holds after waiting")
	}
	if !acquire(t, a, 0) {
		t.Fatal("a no longer holds its lock")
	}
	got := make(chan bool, 1)
	errs := make(chan error, 1)
	go func() {
		held, err := b.Acquire(context.Background(), time.Minute)
		got <- held
		errs <- err
	}()
	a.Close()
	if held, err := <-got, <-errs; !held || err != nil {
		t.Fatalf("b waiting: held %v, err %v; want the lock a released", held, err)
	}
	if acquire(t, a, 0) {
		t.Fatal("a took the lock back while b holds it")
	}
}

// TestSessionLockFencesWrites: writes through the holder's session stop when the session
// ends under it (the server ended it, or its idle timeout did while the holder stood still,
// like a paused process), and the holder learns it lost the lock, which a waiter then gets.
func TestSessionLockFencesWrites(t *testing.T) {
	tests := []struct {
		name string
		idle time.Duration
		// end ends the holder's session from outside, or lets its idle timeout do so.
		end func(t *testing.T, pool *pgxpool.Pool, name string)
	}{
		{"terminated", 0, func(t *testing.T, pool *pgxpool.Pool, name string) {
			var n int
			if err := pool.QueryRow(context.Background(), `
				SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND application_name = 'lagboard ' || $1`, name).Scan(&n); err != nil || n != 1 {
				t.Fatalf("terminated %d sessions: %v", n, err)
			}
		}},
		{"idle", 300 * time.Millisecond, nil}, // the waiter below gets the lock once it fires
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := stacktest.DB(t)
			if _, err := pool.Exec(context.Background(), `CREATE TABLE fenced (id serial PRIMARY KEY, v text)`); err != nil {
				t.Fatal(err)
			}
			name := "test.fence." + tt.name
			holder := storage.NewSessionLock(pool.Config().ConnConfig, name, storage.SessionLockOptions{IdleTimeout: tt.idle})
			waiter := storage.NewSessionLock(pool.Config().ConnConfig, name, storage.SessionLockOptions{})
			defer holder.Close()
			defer waiter.Close()
			if !acquire(t, holder, 0) {
				t.Fatal("holder did not get a free lock")
			}
			if err := writeOn(holder, "before"); err != nil {
				t.Fatalf("write while holding: %v", err)
			}
			if tt.end != nil {
				tt.end(t, pool, name)
			}
			if !acquire(t, waiter, time.Minute) {
				t.Fatal("waiter did not get the lock after the holder's session ended")
			}
			if err := writeOn(holder, "after"); err == nil {
				t.Fatal("the former holder still writes")
			}
			if held, err := holder.Acquire(context.Background(), 0); held || !errors.Is(err, storage.ErrLockLost) {
				t.Fatalf("former holder: held %v, err %v; want ErrLockLost", held, err)
			}
			if held, err := holder.Acquire(context.Background(), 0); held || err != nil {
				t.Fatalf("former holder again: held %v, err %v; want not held, no error", held, err)
			}
			if err := writeOn(waiter, "new holder"); err != nil {
				t.Fatalf("write by the new holder: %v", err)
			}
			if got := fencedRows(t, pool); len(got) != 2 || got[0] != "before" || got[1] != "new holder" {
				t.Fatalf("rows %q, want before and new holder", got)
			}
		})
	}
}
