package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// entry is a plausible entry, numbered n for telling entries apart.
func entry(n int) Entry {
	params, _ := JSON(map[string]any{"n": n, "path": "/clusters/prod/groups/g"})
	return Entry{Actor: Actor{Subject: fmt.Sprintf("user-%d", n), Name: "User", Groups: []string{"sre"}},
		SourceIP: "192.0.2.1", Action: ActionAccessDenied, Target: Target{Cluster: "prod", Group: "g"},
		Reason: fmt.Sprintf("entry %d", n), Parameters: params, Outcome: Denied}
}

// appendN appends n entries, each in its own transaction, and returns their ids in order.
func appendN(t *testing.T, pool *pgxpool.Pool, n int) []string {
	t.Helper()
	for i := 1; i <= n; i++ {
		if err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error { return Append(t.Context(), tx, entry(i)) }); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := pool.Query(t.Context(), `SELECT id::text FROM audit_entry ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// superuser connects to the test's database as its superuser, with triggers off, as a
// database administrator covering their tracks would.
func superuser(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), stacktest.SuperuserURL(t, cfg.Database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(t.Context(), `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	return conn
}

func open(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	url := stacktest.DatabaseURL(t)
	pool, err := storage.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, url
}

func TestIntactChain(t *testing.T) {
	pool, _ := open(t)
	r, err := Verify(t.Context(), pool)
	if err != nil || !r.Intact() || r.Entries != 0 || r.Head != (Head{Hash: GenesisHash}) {
		t.Fatalf("empty chain: %+v, %v", r, err)
	}
	appendN(t, pool, 5)
	r, err = Verify(t.Context(), pool)
	if err != nil || !r.Intact() || r.Entries != 5 || r.Head.Seq != 5 {
		t.Fatalf("intact chain: %+v %v, %v", r, r.Broken, err)
	}
	head, err := ReadHead(t.Context(), pool)
	if err != nil || head != r.Head {
		t.Fatalf("head %+v, report head %+v, %v", head, r.Head, err)
	}
}

func TestTamperingIsFound(t *testing.T) {
	tests := []struct {
		name    string
		tamper  []string
		seq     int64
		idIndex int // index of the entry found at seq in the original order; -1: missing
		problem Problem
	}{
		{"a field changed", []string{`UPDATE audit_entry SET reason = 'nothing happened' WHERE seq = 3`}, 3, 2, Changed},
		{"the actor changed", []string{`UPDATE audit_entry SET actor_groups = '{}' WHERE seq = 4`}, 4, 3, Changed},
		{"a row deleted", []string{`DELETE FROM audit_entry WHERE seq = 3`}, 3, -1, Removed},
		{"two rows swapped", []string{
			`UPDATE audit_entry SET seq = 1000 WHERE seq = 2`,
			`UPDATE audit_entry SET seq = 2 WHERE seq = 3`,
			`UPDATE audit_entry SET seq = 3 WHERE seq = 1000`}, 2, 2, Changed},
		{"a row deleted and the rest renumbered", []string{
			`DELETE FROM audit_entry WHERE seq = 2`,
			`UPDATE audit_entry SET seq = seq - 1 WHERE seq > 2`}, 2, 2, Changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, url := open(t)
			ids := appendN(t, pool, 5)
			dba := superuser(t, url)
			for _, q := range tt.tamper {
				if _, err := dba.Exec(t.Context(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			r, err := Verify(t.Context(), pool)
			if err != nil {
				t.Fatal(err)
			}
			if r.Intact() {
				t.Fatal("tampering not found")
			}
			want := ""
			if tt.idIndex >= 0 {
				want = ids[tt.idIndex]
			}
			if b := r.Broken; b.Seq != tt.seq || b.ID != want || b.Problem != tt.problem {
				t.Fatalf("first broken: %v; want seq %d id %q %s", b, tt.seq, want, tt.problem)
			}
		})
	}
}

// TestRecordedHeadCatchesARewrite: someone who recomputes every hash after an edit makes
// the chain consistent again; only a head recorded outside the database gives it away.
func TestRecordedHeadCatchesARewrite(t *testing.T) {
	pool, url := open(t)
	appendN(t, pool, 5)
	before, err := Verify(t.Context(), pool)
	if err != nil || !before.Intact() {
		t.Fatal(before.Broken, err)
	}
	dba := superuser(t, url)
	var entries []Entry
	if err := eachEntry(t.Context(), dba, func(e Entry) error { entries = append(entries, e); return nil }); err != nil {
		t.Fatal(err)
	}
	entries[2].Reason = "rewritten"
	for i := 2; i < len(entries); i++ {
		entries[i].PrevHash = entries[i-1].Hash
		if entries[i].Hash, err = HashOf(entries[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := dba.Exec(t.Context(), `UPDATE audit_entry SET reason = $2, prev_hash = $3, hash = $4 WHERE seq = $1`,
			entries[i].Seq, entries[i].Reason, entries[i].PrevHash, entries[i].Hash); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := Verify(t.Context(), pool); err != nil || !r.Intact() {
		t.Fatalf("a consistent rewrite is expected to pass without a recorded head: %v, %v", r.Broken, err)
	}
	r, err := Verify(t.Context(), pool, before.Head)
	if err != nil || r.Intact() || r.Broken.Seq != 5 || r.Broken.Problem != Rewritten {
		t.Fatalf("rewrite against the recorded head: %v, %v", r.Broken, err)
	}
	// Cutting entries off the end is found the same way.
	if _, err := dba.Exec(t.Context(), `DELETE FROM audit_entry WHERE seq >= 4`); err != nil {
		t.Fatal(err)
	}
	r, err = Verify(t.Context(), pool, before.Head)
	if err != nil || r.Intact() || r.Broken.Seq != 4 || r.Broken.Problem != Removed {
		t.Fatalf("truncated tail: %v, %v", r.Broken, err)
	}
}

func TestTriggersRefuseChanges(t *testing.T) {
	pool, _ := open(t)
	appendN(t, pool, 2)
	for _, q := range []string{
		`UPDATE audit_entry SET reason = 'x' WHERE seq = 1`,
		`DELETE FROM audit_entry WHERE seq = 2`,
		`TRUNCATE audit_entry`,
	} {
		_, err := pool.Exec(t.Context(), q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(pgErr.Message, "audit_entry is append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	if r, err := Verify(t.Context(), pool); err != nil || !r.Intact() || r.Entries != 2 {
		t.Fatalf("after refused changes: %+v, %v", r, err)
	}
}

func TestConcurrentWritersMakeOneChain(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(stacktest.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 21
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	const writers = 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			errs <- pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
				// Work before the append, so the transactions overlap.
				if _, err := tx.Exec(t.Context(), `SELECT pg_sleep(0.02)`); err != nil {
					return err
				}
				return Append(t.Context(), tx, entry(i))
			})
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	r, err := Verify(t.Context(), pool)
	if err != nil || !r.Intact() || r.Entries != writers || r.Head.Seq != writers {
		t.Fatalf("%d writers: %+v %v, %v", writers, r, r.Broken, err)
	}
}

// TestFailedAppendRollsBackTheChange: a change and its entry commit together or not at all.
func TestFailedAppendRollsBackTheChange(t *testing.T) {
	pool, _ := open(t)
	change := func(subject string, e Entry) error {
		return pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
			if _, err := storage.RevokeSessions(t.Context(), tx, "https://idp", subject); err != nil {
				return err
			}
			return Append(t.Context(), tx, e)
		})
	}
	bad := entry(1)
	bad.Action = "Not An Action" // refused by the table's check constraint, inside the insert
	if err := change("alice", bad); err == nil {
		t.Fatal("append of an invalid entry succeeded")
	}
	if gen, err := storage.SessionGeneration(t.Context(), pool, "https://idp", "alice"); err != nil || gen != 0 {
		t.Fatalf("the change survived its failed audit entry: generation %d, %v", gen, err)
	}
	if err := change("bob", entry(2)); err != nil {
		t.Fatal(err)
	}
	if gen, err := storage.SessionGeneration(t.Context(), pool, "https://idp", "bob"); err != nil || gen != 1 {
		t.Fatalf("the audited change did not commit: generation %d, %v", gen, err)
	}
	if r, err := Verify(t.Context(), pool); err != nil || !r.Intact() || r.Entries != 1 {
		t.Fatalf("chain after one failed and one good append: %+v, %v", r, err)
	}
}
