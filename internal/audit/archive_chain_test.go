package audit

import (
	"path/filepath"
	"testing"
)

// TestDeletionsOutsideAnArchivalAreFound: entries removed any other way than by Archive,
// even through audit_archive itself, leave a start no audit.archived entry accounts for.
func TestDeletionsOutsideAnArchivalAreFound(t *testing.T) {
	tests := []struct {
		name    string
		archive bool     // archive the entries before day 4 (seq 1 to 3) first
		tamper  []string // then run these as a superuser, with triggers off
		app     []string // or these as the application's role
		seq     int64
		problem Problem
	}{
		{name: "the oldest entries deleted", tamper: []string{`DELETE FROM audit_entry WHERE seq <= 2`}, seq: 1, problem: Removed},
		{name: "the oldest entries deleted through audit_archive", app: []string{`SELECT audit_archive(2)`}, seq: 1, problem: Removed},
		{name: "more deleted after an archival", archive: true,
			tamper: []string{`DELETE FROM audit_entry WHERE seq = 4`}, seq: 4, problem: Removed},
		{name: "more deleted through audit_archive after an archival", archive: true,
			app: []string{`SELECT audit_archive(5)`}, seq: 4, problem: Removed},
		{name: "the audit.archived entry deleted", archive: true,
			tamper: []string{`DELETE FROM audit_entry WHERE seq = 7`}, seq: 1, problem: Removed},
		{name: "the audit.archived entry edited", archive: true,
			tamper: []string{`UPDATE audit_entry SET parameters = replace(parameters, '"last_seq":3', '"last_seq":4') WHERE seq = 7`},
			seq:    1, problem: Removed},
		{name: "the first kept entry renumbered", archive: true,
			tamper: []string{`DELETE FROM audit_entry WHERE seq = 5`, `UPDATE audit_entry SET seq = 5 WHERE seq = 4`}, seq: 4, problem: Removed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, url := open(t)
			appendAt(t, pool, 1, 2, 3, 4, 5, 6)
			if tt.archive {
				if _, err := Archive(t.Context(), pool, day(4), filepath.Join(t.TempDir(), "a.jsonl")); err != nil {
					t.Fatal(err)
				}
				if r, err := Verify(t.Context(), pool); err != nil || !r.Intact() {
					t.Fatalf("after the archival: %v, %v", r.Broken, err)
				}
			}
			if len(tt.tamper) > 0 {
				dba := superuser(t, url)
				for _, q := range tt.tamper {
					if _, err := dba.Exec(t.Context(), q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
			}
			for _, q := range tt.app {
				if _, err := pool.Exec(t.Context(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			r, err := Verify(t.Context(), pool)
			if err != nil {
				t.Fatal(err)
			}
			if r.Intact() || r.Broken.Seq != tt.seq || r.Broken.Problem != tt.problem || r.Archived != nil {
				t.Fatalf("first broken: %v, archived %+v; want seq %d %s", r.Broken, r.Archived, tt.seq, tt.problem)
			}
		})
	}
}

// TestAStartThatDoesNotLinkToTheArchival: the first kept entry has the seq the archival
// recorded but, rewritten with a recomputed hash, another previous hash.
func TestAStartThatDoesNotLinkToTheArchival(t *testing.T) {
	pool, url := open(t)
	appendAt(t, pool, 1, 2, 3, 4, 5, 6)
	if _, err := Archive(t.Context(), pool, day(4), filepath.Join(t.TempDir(), "a.jsonl")); err != nil {
		t.Fatal(err)
	}
	dba := superuser(t, url)
	var first *Entry
	err := eachEntry(t.Context(), dba, func(e Entry) error {
		if first == nil {
			first = &e
		}
		return nil
	})
	if err != nil || first == nil || first.Seq != 4 {
		t.Fatalf("first kept entry: %+v, %v", first, err)
	}
	first.PrevHash = GenesisHash
	if first.Hash, err = HashOf(*first); err != nil {
		t.Fatal(err)
	}
	if _, err := dba.Exec(t.Context(), `UPDATE audit_entry SET prev_hash = $2, hash = $3 WHERE seq = $1`, first.Seq, first.PrevHash, first.Hash); err != nil {
		t.Fatal(err)
	}
	r, err := Verify(t.Context(), pool)
	if err != nil || r.Intact() || r.Broken.Seq != 4 || r.Broken.ID != first.ID || r.Broken.Problem != Reordered || r.Archived != nil {
		t.Fatalf("first broken: %v, %v", r.Broken, err)
	}
}
