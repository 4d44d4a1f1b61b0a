package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// chainOf builds entries first to first+n-1 in memory, hashed and linked as Append would,
// the first one following prev.
func chainOf(t testing.TB, first, n int64, prev string) []Entry {
	t.Helper()
	var out []Entry
	for seq := first; seq < first+n; seq++ {
		e, err := normalize(entry(int(seq)))
		if err != nil {
			t.Fatal(err)
		}
		e.Seq, e.ID, e.At, e.PrevHash = seq, fmt.Sprintf("00000000-0000-4000-8000-%012d", seq), day(1).Add(time.Duration(seq)*time.Minute), prev
		if e.Hash, err = HashOf(e); err != nil {
			t.Fatal(err)
		}
		out, prev = append(out, e), e.Hash
	}
	return out
}

// archiveOf writes entries as an archive file does: their lines, then the last one's head.
func archiveOf(t testing.TB, entries []Entry) []byte {
	t.Helper()
	var b []byte
	var err error
	for _, e := range entries {
		if b, err = (jsonlEncoder{}).entry(b, e); err != nil {
			t.Fatal(err)
		}
	}
	last := entries[len(entries)-1]
	b, _ = jsonlEncoder{}.head(b, Head{Seq: last.Seq, Hash: last.Hash})
	return b
}

func TestVerifyArchive(t *testing.T) {
	entries := chainOf(t, 1, 5, GenesisHash)
	file := archiveOf(t, entries)
	lines := bytes.SplitAfter(file, []byte("\n"))[:6] // 5 entries and the head line
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }
	rewritten := chainOf(t, 1, 5, GenesisHash)
	rewritten[2].Reason = "rewritten"
	for i := 2; i < 5; i++ {
		rewritten[i].PrevHash = rewritten[i-1].Hash
		rewritten[i].Hash, _ = HashOf(rewritten[i])
	}
	otherHead, _ := jsonlEncoder{}.head(nil, Head{Seq: 5, Hash: entries[3].Hash})
	badStart := chainOf(t, 1, 2, entries[4].Hash)
	tests := []struct {
		name    string
		file    []byte
		seq     int64
		problem Problem // "" when intact
	}{
		{"intact", file, 0, ""},
		{"a field changed", bytes.Replace(file, []byte(`"entry 3"`), []byte(`"entry 9"`), 1), 3, Changed},
		{"a line removed", join(lines[0], lines[1], lines[3], lines[4], lines[5]), 3, Removed},
		{"two lines swapped", join(lines[0], lines[2], lines[1], lines[3], lines[4], lines[5]), 2, Removed},
		{"the head line missing", join(lines[:5]...), 6, Removed},
		{"the last entry removed", join(lines[0], lines[1], lines[2], lines[3], lines[5]), 5, Removed},
		{"the head line changed", join(join(lines[:5]...), otherHead), 5, Rewritten},
		{"a line after the head", join(file, lines[0]), 6, Changed},
		{"not an entry line", join(lines[0], []byte("{\"hash\":\"x\"}\n"), lines[1]), 2, Changed},
		{"empty", nil, 0, Removed},
		{"a first entry that does not start the chain", archiveOf(t, badStart), 1, Reordered},
		// Consistent again: only the SHA-256 the audit.archived entry records gives it away.
		{"rewritten with recomputed hashes", archiveOf(t, rewritten), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := VerifyArchive(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(tt.file)
			if r.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("SHA256 %s, want that of the bytes read", r.SHA256)
			}
			if tt.problem == "" {
				if !r.Intact() || r.Entries != 5 || r.FirstSeq != 1 || r.PrevHash != GenesisHash || r.Head.Seq != 5 {
					t.Fatalf("%+v %v", r, r.Broken)
				}
				return
			}
			if r.Intact() || r.Broken.Seq != tt.seq || r.Broken.Problem != tt.problem {
				t.Fatalf("first broken: %v; want seq %d %s", r.Broken, tt.seq, tt.problem)
			}
		})
	}
	orig, _ := VerifyArchive(bytes.NewReader(file))
	if again, _ := VerifyArchive(bytes.NewReader(archiveOf(t, rewritten))); again.SHA256 == orig.SHA256 {
		t.Error("a rewritten archive has the original's SHA-256")
	}
}

// TestVerifyArchiveOfALaterRange: an archive that follows an earlier one starts with that
// one's last hash.
func TestVerifyArchiveOfALaterRange(t *testing.T) {
	earlier := chainOf(t, 1, 3, GenesisHash)
	later := chainOf(t, 4, 3, earlier[2].Hash)
	r, err := VerifyArchive(bytes.NewReader(archiveOf(t, later)))
	if err != nil || !r.Intact() || r.FirstSeq != 4 || r.PrevHash != earlier[2].Hash || r.Head != (Head{6, later[2].Hash}) {
		t.Fatalf("%+v %v, %v", r, r.Broken, err)
	}
}

// FuzzVerifyArchive: whatever the bytes, VerifyArchive neither panics nor fails to read
// them, and a file it calls intact is one contiguous range ending with its head.
func FuzzVerifyArchive(f *testing.F) {
	file := archiveOf(f, chainOf(f, 1, 3, GenesisHash))
	f.Add(file)
	f.Add(file[:len(file)/2])
	f.Add([]byte("{\"chain_head\":{\"seq\":0,\"hash\":\"\"}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := VerifyArchive(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if r.Intact() && (r.Entries < 1 || r.Head.Seq != r.FirstSeq+r.Entries-1) {
			t.Fatalf("intact, yet %d entries from %d to %d", r.Entries, r.FirstSeq, r.Head.Seq)
		}
	})
}
