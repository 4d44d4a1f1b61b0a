package audit

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestArchiveRefusesAndChangesNothing: a refused archival leaves the table and the
// directory as they were.
func TestArchiveRefusesAndChangesNothing(t *testing.T) {
	tests := []struct {
		name    string
		days    []int
		before  int
		prepare func(t *testing.T, url, path string) string // returns the path to archive to
		want    string
	}{
		{name: "the file exists", days: []int{1, 2, 3}, before: 3, want: "file already exists",
			prepare: func(t *testing.T, _, path string) string {
				if err := os.WriteFile(path, []byte("an earlier archive\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return path
			}},
		{name: "nothing is older than the cut-off", days: []int{2, 3}, before: 2, want: ErrNothingToArchive.Error()},
		{name: "the trail is empty", before: 2, want: ErrNothingToArchive.Error()},
		{name: "the directory is missing", days: []int{1, 2, 3}, before: 3, want: "no such file or directory",
			prepare: func(_ *testing.T, _, path string) string { return filepath.Join(path, "nested", "a.jsonl") }},
		{name: "an entry in the range was changed", days: []int{1, 2, 3}, before: 3, want: "entry 1: changed",
			prepare: func(t *testing.T, url, path string) string {
				if _, err := superuser(t, url).Exec(t.Context(), `UPDATE audit_entry SET reason = 'edited' WHERE seq = 1`); err != nil {
					t.Fatal(err)
				}
				return path
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, url := open(t)
			appendAt(t, pool, tt.days...)
			dir := t.TempDir()
			path := filepath.Join(dir, "a.jsonl")
			if tt.prepare != nil {
				path = tt.prepare(t, url, path)
			}
			before, _ := os.ReadDir(dir)
			seqsBefore := tableSeqs(t, pool)

			_, err := Archive(t.Context(), pool, day(tt.before), path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("archive: %v; want an error with %q", err, tt.want)
			}
			if s := tableSeqs(t, pool); !slices.Equal(s, seqsBefore) {
				t.Errorf("the table went from %v to %v", seqsBefore, s)
			}
			if after, _ := os.ReadDir(dir); len(after) != len(before) {
				t.Errorf("the directory went from %d to %d files", len(before), len(after))
			}
			if tt.name == "the file exists" {
				if b, _ := os.ReadFile(path); string(b) != "an earlier archive\n" || !errors.Is(err, fs.ErrExist) {
					t.Errorf("the existing file now holds %q; error %v", b, err)
				}
			}
		})
	}
}

// TestOnlyTheArchivePathDeletes: the trigger still refuses every UPDATE, TRUNCATE and
// DELETE, superusers' included, except a DELETE made by audit_archive.
func TestOnlyTheArchivePathDeletes(t *testing.T) {
	pool, url := open(t)
	appendAt(t, pool, 1, 2, 3, 4)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	dba, err := pgx.Connect(t.Context(), stacktest.SuperuserURL(t, cfg.Database)) // triggers on
	if err != nil {
		t.Fatal(err)
	}
	defer dba.Close(context.Background())
	refused := func(who string, db interface {
		Begin(context.Context) (pgx.Tx, error)
	}, code string, stmts ...string) {
		t.Helper()
		tx, err := db.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background()) //nolint:errcheck // every case is rolled back
		for i, q := range stmts {
			_, err = tx.Exec(t.Context(), q)
			if i < len(stmts)-1 && err != nil {
				t.Fatalf("%s: %s: %v", who, q, err)
			}
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != code {
			t.Errorf("%s: %s: %v; want SQLSTATE %s", who, strings.Join(stmts, "; "), err, code)
		}
	}
	for who, db := range map[string]interface {
		Begin(context.Context) (pgx.Tx, error)
	}{"the application's role": pool, "a superuser": dba} {
		refused(who, db, "42501", `DELETE FROM audit_entry WHERE seq = 1`)
		refused(who, db, "42501", `TRUNCATE audit_entry`)
		refused(who, db, "42501", `UPDATE audit_entry SET reason = 'x' WHERE seq = 1`)
		// The setting lasts for audit_archive's own DELETE only.
		refused(who, db, "42501", `SELECT audit_archive(1)`, `DELETE FROM audit_entry WHERE seq = 2`)
		// Set by hand it still lets nothing past its bound, and never an UPDATE.
		refused(who, db, "42501", `SELECT set_config('lagboard.audit_archive_upto', '1', true)`, `DELETE FROM audit_entry WHERE seq = 2`)
		refused(who, db, "42501", `SELECT set_config('lagboard.audit_archive_upto', '4', true)`, `UPDATE audit_entry SET reason = 'x' WHERE seq = 1`)
		// The newest entry always stays, so that the chain carries on from it.
		refused(who, db, "22023", `SELECT audit_archive(4)`)
		refused(who, db, "22023", `SELECT audit_archive(0)`)
	}
	if s := tableSeqs(t, pool); !slices.Equal(s, []int64{1, 2, 3, 4}) {
		t.Fatalf("left in the table: %v", s)
	}
}
