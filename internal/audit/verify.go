package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/lagboard/lagboard/internal/storage"
)

// Problem is what verification found wrong with an entry.
type Problem string

// Problems, from the first broken entry's point of view.
const (
	// Changed: the entry's contents no longer hash to its stored hash (a field was edited,
	// or another entry's contents were moved into this position).
	Changed Problem = "changed"
	// Removed: entries are missing at this sequence number (deleted from the middle; from
	// the start, unless an audit.archived entry accounts for them; or from the end when an
	// auditor's recorded head is no longer there).
	Removed Problem = "removed"
	// Reordered: the entry is intact but does not follow the entry before it, so entries
	// were removed, inserted or reordered before it.
	Reordered Problem = "reordered"
	// Rewritten: the entry at a recorded head's sequence number has another hash, so the
	// chain up to it was rewritten with recomputed hashes.
	Rewritten Problem = "rewritten"
)

// Break is the first entry where the chain is broken.
type Break struct {
	// Seq is the position where the chain breaks; ID is the entry found there, "" when the
	// entry is missing.
	Seq     int64
	ID      string
	Problem Problem
	Detail  string
}

func (b Break) String() string {
	id := b.ID
	if id == "" {
		id = "(missing)"
	}
	return fmt.Sprintf("entry seq %d id %s: %s: %s", b.Seq, id, b.Problem, b.Detail)
}

// Report is the outcome of Verify.
type Report struct {
	// Entries is how many entries were read.
	Entries int64
	// Head is the newest entry as stored, for auditors to record elsewhere.
	Head Head
	// Broken is the first broken entry; nil when the chain is intact.
	Broken *Break
	// Archived is the archival the chain starts after, as its latest audit.archived entry
	// records it; nil when the chain starts at seq 1.
	Archived *ArchiveRecord
	// Unchecked are recorded heads older than the archived range's last entry: they can be
	// checked only against the archive files (VerifyArchive), not against the table.
	Unchecked []Head
}

// Intact reports whether no entry was found changed, removed or reordered.
func (r Report) Intact() bool { return r.Broken == nil }

// Verify walks the chain in sequence order, in one snapshot, and reports its head and the
// first entry that was changed, removed or reordered. Anchors are heads recorded earlier
// (outside the database): each must still be in the chain with the same hash, which is
// what catches a tail that was cut off or a chain rewritten with recomputed hashes. An
// error means the chain could not be read, not that it is broken.
//
// A chain that starts after seq 1 is intact only when it starts where an archival left it:
// its first entry's seq follows the last seq, and its prev_hash is the last hash, that the
// latest audit.archived entry records. Any other missing start is Removed.
func Verify(ctx context.Context, db storage.DBTX, anchors ...Head) (Report, error) {
	r := Report{Head: Head{Hash: GenesisHash}}
	want := map[int64]string{}
	for _, a := range anchors {
		want[a.Seq] = a.Hash
	}
	broke := func(b Break) { // the first break is the one at the lowest seq
		if r.Broken == nil || b.Seq < r.Broken.Seq {
			r.Broken = &b
		}
	}
	prev := Head{Hash: GenesisHash}
	var start *Entry // the first entry, when it is not seq 1: judged once the walk is done
	err := eachEntry(ctx, db, func(e Entry) error {
		r.Entries++
		r.Head = Head{Seq: e.Seq, Hash: e.Hash}
		if r.Entries == 1 && e.Seq > 1 {
			start = &e
			prev = Head{Seq: e.Seq - 1, Hash: e.PrevHash}
		}
		if e.Seq != prev.Seq+1 {
			broke(Break{Seq: prev.Seq + 1, Problem: Removed,
				Detail: fmt.Sprintf("entries %d to %d are missing; the chain continues at seq %d id %s", prev.Seq+1, e.Seq-1, e.Seq, e.ID)})
		}
		sum, err := HashOf(e)
		switch {
		case err != nil:
			broke(Break{Seq: e.Seq, ID: e.ID, Problem: Changed, Detail: fmt.Sprintf("its contents cannot be encoded: %v", err)})
		case sum != e.Hash:
			broke(Break{Seq: e.Seq, ID: e.ID, Problem: Changed,
				Detail: fmt.Sprintf("its contents hash to %s, not to its stored hash %s", sum, e.Hash)})
		case e.PrevHash != prev.Hash:
			broke(Break{Seq: e.Seq, ID: e.ID, Problem: Reordered,
				Detail: fmt.Sprintf("its previous hash %s is not the hash %s of entry %d", e.PrevHash, prev.Hash, prev.Seq)})
		}
		if e.Action == ActionArchived && e.Outcome == Success && err == nil && sum == e.Hash {
			if rec, ok := archiveRecordOf(e); ok {
				r.Archived = &rec
			}
		}
		if h, ok := want[e.Seq]; ok && h != e.Hash {
			broke(Break{Seq: e.Seq, ID: e.ID, Problem: Rewritten,
				Detail: fmt.Sprintf("a recorded head says its hash was %s, it is now %s", h, e.Hash)})
		}
		prev = Head{Seq: e.Seq, Hash: e.Hash}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("verify the audit chain: %w", err)
	}
	if start == nil {
		r.Archived = nil
	} else if b := startBreak(*start, r.Archived); b != nil {
		broke(*b)
		r.Archived = nil
	}
	for _, a := range anchors {
		if r.Archived != nil && a.Seq <= r.Archived.LastSeq {
			switch {
			case a.Seq < r.Archived.LastSeq:
				r.Unchecked = append(r.Unchecked, a)
			case a.Hash != r.Archived.LastHash:
				broke(Break{Seq: a.Seq, Problem: Rewritten,
					Detail: fmt.Sprintf("a recorded head says its hash was %s, the audit.archived entry seq %d says %s", a.Hash, r.Archived.Seq, r.Archived.LastHash)})
			}
		}
		if a.Seq > r.Head.Seq {
			broke(Break{Seq: r.Head.Seq + 1, Problem: Removed,
				Detail: fmt.Sprintf("the chain ends at seq %d but a recorded head is seq %d: entries were removed from the end", r.Head.Seq, a.Seq)})
		}
	}
	return r, nil
}

// startBreak judges a chain whose first entry is not seq 1 against rec, the latest
// archival it records: nil when the chain starts exactly where that archival left it.
func startBreak(first Entry, rec *ArchiveRecord) *Break {
	missing := Break{Seq: 1, Problem: Removed,
		Detail: fmt.Sprintf("entries 1 to %d are missing and no audit.archived entry accounts for them; the chain continues at seq %d id %s", first.Seq-1, first.Seq, first.ID)}
	switch {
	case rec == nil:
		return &missing
	case rec.LastSeq < first.Seq-1:
		return &Break{Seq: rec.LastSeq + 1, Problem: Removed,
			Detail: fmt.Sprintf("entries %d to %d are missing: the latest audit.archived entry (seq %d) archived entries up to %d only; the chain continues at seq %d id %s", rec.LastSeq+1, first.Seq-1, rec.Seq, rec.LastSeq, first.Seq, first.ID)}
	case rec.LastSeq > first.Seq-1:
		missing.Detail += fmt.Sprintf(" (the latest audit.archived entry, seq %d, archived entries up to %d)", rec.Seq, rec.LastSeq)
		return &missing
	case first.PrevHash != rec.LastHash:
		return &Break{Seq: first.Seq, ID: first.ID, Problem: Reordered,
			Detail: fmt.Sprintf("its previous hash %s is not the hash %s that the audit.archived entry seq %d records for entry %d", first.PrevHash, rec.LastHash, rec.Seq, rec.LastSeq)}
	}
	return nil
}

// archiveRecordOf reads the ArchiveRecord an audit.archived entry holds.
func archiveRecordOf(e Entry) (ArchiveRecord, bool) {
	var rec ArchiveRecord
	if err := json.Unmarshal(e.Parameters, &rec); err != nil || rec.LastSeq < 1 || rec.LastSeq >= e.Seq {
		return ArchiveRecord{}, false
	}
	rec.Seq = e.Seq
	return rec, true
}
