package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// day is midnight UTC of day n of January 2020, long enough ago for any cut-off.
func day(n int) time.Time { return time.Date(2020, time.January, n, 0, 0, 0, 0, time.UTC) }

// appendAt appends one entry per day given, in order, each in its own transaction.
func appendAt(t *testing.T, pool *pgxpool.Pool, days ...int) {
	t.Helper()
	for i, d := range days {
		e := entry(i + 1)
		e.At = day(d).Add(time.Hour)
		if err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error { return Append(t.Context(), tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
}

// tableSeqs returns the sequence numbers in the table, in order.
func tableSeqs(t *testing.T, pool *pgxpool.Pool) []int64 {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT seq FROM audit_entry ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hashAt returns the stored hash of entry seq.
func hashAt(t *testing.T, pool *pgxpool.Pool, seq int64) string {
	t.Helper()
	var h string
	if err := pool.QueryRow(t.Context(), `SELECT hash FROM audit_entry WHERE seq = $1`, seq).Scan(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

func verifyFile(t *testing.T, path string) ArchiveReport {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := VerifyArchive(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestArchiveMovesTheOldestEntriesOut(t *testing.T) {
	pool, _ := open(t)
	appendAt(t, pool, 1, 2, 3, 4, 5, 6)
	hash2, hash3 := hashAt(t, pool, 2), hashAt(t, pool, 3)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit-2020-01.jsonl")

	rec, err := Archive(t.Context(), pool, day(4), path)
	if err != nil {
		t.Fatal(err)
	}
	want := ArchiveRecord{Seq: 7, FirstSeq: 1, LastSeq: 3, LastHash: hash3, Count: 3, Before: day(4), File: "audit-2020-01.jsonl"}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	want.FileSHA256 = hex.EncodeToString(sum[:])
	if rec != want {
		t.Fatalf("record %+v\nwant   %+v", rec, want)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("the directory holds %d files, want the archive alone", len(left))
	}
	if s := tableSeqs(t, pool); !slices.Equal(s, []int64{4, 5, 6, 7}) {
		t.Fatalf("left in the table: %v", s)
	}
	var action, params string
	if err := pool.QueryRow(t.Context(), `SELECT action, parameters FROM audit_entry WHERE seq = 7`).Scan(&action, &params); err != nil {
		t.Fatal(err)
	}
	var recorded ArchiveRecord
	if err := json.Unmarshal([]byte(params), &recorded); err != nil || Action(action) != ActionArchived {
		t.Fatalf("entry 7: %s %s: %v", action, params, err)
	}
	if recorded.Seq = 7; recorded != want {
		t.Errorf("recorded %+v\nwant     %+v", recorded, want)
	}

	r, err := Verify(t.Context(), pool)
	if err != nil || !r.Intact() || r.Entries != 4 || r.Head.Seq != 7 || r.Archived == nil || *r.Archived != want {
		t.Fatalf("chain after the archival: %+v %v %+v, %v", r, r.Broken, r.Archived, err)
	}
	a := verifyFile(t, path)
	if !a.Intact() || a.Entries != 3 || a.FirstSeq != 1 || a.PrevHash != GenesisHash || a.Head != (Head{3, hash3}) || a.SHA256 != want.FileSHA256 {
		t.Fatalf("archive file: %+v %v", a, a.Broken)
	}
	tampered := bytes.Replace(data, []byte(`"entry 2"`), []byte(`"entry X"`), 1)
	if r, err := VerifyArchive(bytes.NewReader(tampered)); err != nil || r.Intact() || r.Broken.Seq != 2 || r.Broken.Problem != Changed {
		t.Fatalf("tampered archive: %+v %v, %v", r, r.Broken, err)
	}

	// Heads recorded before the archival: the last archived one is checked against the
	// audit.archived entry, older ones only against the file.
	r, err = Verify(t.Context(), pool, Head{3, hash3}, Head{2, hash2})
	if err != nil || !r.Intact() || !slices.Equal(r.Unchecked, []Head{{2, hash2}}) {
		t.Fatalf("recorded heads in the archived range: %+v %v, %v", r, r.Broken, err)
	}
	r, err = Verify(t.Context(), pool, Head{3, hash2})
	if err != nil || r.Intact() || r.Broken.Seq != 3 || r.Broken.Problem != Rewritten {
		t.Fatalf("a recorded head that the archival contradicts: %v, %v", r.Broken, err)
	}

	// A second archival carries on where the first one stopped.
	path2 := filepath.Join(dir, "audit-2020-01b.jsonl")
	rec2, err := Archive(t.Context(), pool, day(6), path2)
	if err != nil || rec2.FirstSeq != 4 || rec2.LastSeq != 5 || rec2.Seq != 8 {
		t.Fatalf("second archival: %+v, %v", rec2, err)
	}
	if a := verifyFile(t, path2); !a.Intact() || a.FirstSeq != 4 || a.PrevHash != hash3 || a.Head != (Head{5, rec2.LastHash}) {
		t.Fatalf("second archive file: %+v %v", a, a.Broken)
	}
	r, err = Verify(t.Context(), pool)
	if err != nil || !r.Intact() || r.Entries != 3 || r.Archived == nil || *r.Archived != rec2 {
		t.Fatalf("chain after two archivals: %+v %v, %v", r, r.Broken, err)
	}
}

// TestArchiveTakesAPrefix: an entry older than the cut-off that follows a newer one stays,
// so that the table keeps a chain without holes.
func TestArchiveTakesAPrefix(t *testing.T) {
	pool, _ := open(t)
	appendAt(t, pool, 1, 2, 9, 3, 4)
	rec, err := Archive(t.Context(), pool, day(5), filepath.Join(t.TempDir(), "a.jsonl"))
	if err != nil || rec.FirstSeq != 1 || rec.LastSeq != 2 {
		t.Fatalf("archival: %+v, %v", rec, err)
	}
	if s := tableSeqs(t, pool); !slices.Equal(s, []int64{3, 4, 5, 6}) {
		t.Fatalf("left in the table: %v", s)
	}
	if r, err := Verify(t.Context(), pool); err != nil || !r.Intact() {
		t.Fatalf("chain: %v, %v", r.Broken, err)
	}
}

// TestConcurrentArchivalsDoNotOverlap: two archivals of the same range, started together,
// archive it once; the other finds nothing left to archive.
func TestConcurrentArchivalsDoNotOverlap(t *testing.T) {
	pool, _ := open(t)
	appendAt(t, pool, 1, 2, 3, 4)
	dir := t.TempDir()
	errs := make(chan error, 2)
	for _, name := range []string{"a.jsonl", "b.jsonl"} {
		go func() {
			_, err := Archive(t.Context(), pool, day(3), filepath.Join(dir, name))
			errs <- err
		}()
	}
	var ok, nothing int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, ErrNothingToArchive):
			nothing++
		default:
			t.Error(err)
		}
	}
	if ok != 1 || nothing != 1 {
		t.Fatalf("%d archivals succeeded and %d found nothing; want one each", ok, nothing)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("%d files written, want 1", len(files))
	}
	if r, err := Verify(t.Context(), pool); err != nil || !r.Intact() || r.Entries != 3 || r.Archived == nil || r.Archived.Count != 2 {
		t.Fatalf("chain: %+v %v, %v", r, r.Broken, err)
	}
}
