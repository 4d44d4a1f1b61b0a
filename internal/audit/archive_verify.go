package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ArchiveReport is the outcome of VerifyArchive.
type ArchiveReport struct {
	// Entries is how many entry lines were read.
	Entries int64
	// FirstSeq is the first entry's seq and PrevHash its prev_hash: 64 zeros for an archive
	// that starts the chain, else the last hash of the archive before it.
	FirstSeq int64
	PrevHash string
	// Head is the last entry, as the file's head line should repeat it.
	Head Head
	// SHA256 is the hex SHA-256 of the file's bytes, to compare with the file_sha256 of
	// the audit.archived entry that recorded it.
	SHA256 string
	// Broken is the first problem found; nil when the file is intact.
	Broken *Break
}

// Intact reports whether the file's entries hash, link and end with their head line.
func (r ArchiveReport) Intact() bool { return r.Broken == nil }

// archiveLine is the part of an entry's canonical form that VerifyArchive reads.
type archiveLine struct {
	Seq      int64  `json:"seq"`
	ID       string `json:"id"`
	PrevHash string `json:"prev_hash"`
}

// Prefixes of the lines of a JSON Lines export (jsonlEncoder).
var (
	entryPrefix = []byte(`{"hash":"`)
	entryInfix  = []byte(`","entry":`)
	headPrefix  = []byte(`{"chain_head":`)
)

// VerifyArchive checks an archive file (or an unfiltered JSON Lines export) on its own:
// each entry line's hash is the SHA-256 of its canonical form, each entry follows the one
// before it (seq and prev_hash), and the file ends with a head line naming its last entry.
// It proves the file consistent; that it is the file an archival wrote is proven by its
// SHA-256 matching the file_sha256 the audit.archived entry records. An error means r
// could not be read, not that the file is broken.
func VerifyArchive(r io.Reader) (ArchiveReport, error) {
	var rep ArchiveReport
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, h), 64<<10)
	broke := func(b Break) {
		if rep.Broken == nil {
			rep.Broken = &b
		}
	}
	var head *Head // the head line, once read
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return ArchiveReport{}, fmt.Errorf("read the archive: %w", err)
		}
		if len(line) > 0 {
			next := rep.Head.Seq + 1
			switch {
			case head != nil:
				broke(Break{Seq: next, Problem: Changed, Detail: fmt.Sprintf("line %d follows the head line", n)})
			case bytes.HasPrefix(line, headPrefix):
				head = new(Head)
				if b := readHeadLine(line, n, rep.Head, head); b != nil {
					broke(*b)
				}
			default:
				readEntryLine(&rep, line, n, broke)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	rep.SHA256 = hex.EncodeToString(h.Sum(nil))
	switch {
	case rep.Entries == 0:
		broke(Break{Problem: Removed, Detail: "the file holds no entries"})
	case head == nil:
		broke(Break{Seq: rep.Head.Seq + 1, Problem: Removed,
			Detail: fmt.Sprintf("the file ends after entry %d without its head line: it is incomplete", rep.Head.Seq)})
	}
	return rep, nil
}

// readEntryLine checks one entry line against the entry before it and records it in rep.
func readEntryLine(rep *ArchiveReport, line []byte, n int, broke func(Break)) {
	next := rep.Head.Seq + 1
	body := bytes.TrimSuffix(line, []byte("\n"))
	const hashEnd = 9 + 64 // len(entryPrefix) + 64 hex digits
	if !bytes.HasPrefix(body, entryPrefix) || len(body) < hashEnd+len(entryInfix)+2 ||
		!bytes.Equal(body[hashEnd:hashEnd+len(entryInfix)], entryInfix) || body[len(body)-1] != '}' {
		broke(Break{Seq: next, Problem: Changed, Detail: fmt.Sprintf("line %d is neither an entry line nor the head line", n)})
		return
	}
	hash, canonical := string(body[len(entryPrefix):hashEnd]), body[hashEnd+len(entryInfix):len(body)-1]
	var e archiveLine
	if err := json.Unmarshal(canonical, &e); err != nil || e.Seq < 1 {
		broke(Break{Seq: next, Problem: Changed, Detail: fmt.Sprintf("line %d does not hold an entry", n)})
		return
	}
	sum := sha256.Sum256(canonical)
	if got := hex.EncodeToString(sum[:]); got != hash {
		broke(Break{Seq: e.Seq, ID: e.ID, Problem: Changed,
			Detail: fmt.Sprintf("line %d: its entry hashes to %s, not to its hash %s", n, got, hash)})
	}
	switch {
	case rep.Entries == 0:
		rep.FirstSeq, rep.PrevHash = e.Seq, e.PrevHash
		if e.Seq == 1 && e.PrevHash != GenesisHash {
			broke(Break{Seq: e.Seq, ID: e.ID, Problem: Reordered, Detail: fmt.Sprintf("line %d: entry 1's previous hash is not 64 zeros", n)})
		}
	case e.Seq != next:
		broke(Break{Seq: next, Problem: Removed,
			Detail: fmt.Sprintf("line %d: entry %d follows entry %d", n, e.Seq, rep.Head.Seq)})
	case e.PrevHash != rep.Head.Hash:
		broke(Break{Seq: e.Seq, ID: e.ID, Problem: Reordered,
			Detail: fmt.Sprintf("line %d: its previous hash %s is not the hash %s of entry %d", n, e.PrevHash, rep.Head.Hash, rep.Head.Seq)})
	}
	rep.Entries++
	rep.Head = Head{Seq: e.Seq, Hash: hash}
}

// readHeadLine reads the head line into head and checks that it names last.
func readHeadLine(line []byte, n int, last Head, head *Head) *Break {
	var doc struct {
		Head *struct {
			Seq  int64  `json:"seq"`
			Hash string `json:"hash"`
		} `json:"chain_head"`
	}
	if err := json.Unmarshal(line, &doc); err != nil || doc.Head == nil {
		return &Break{Seq: last.Seq + 1, Problem: Changed, Detail: fmt.Sprintf("line %d: the head line cannot be read", n)}
	}
	*head = Head{Seq: doc.Head.Seq, Hash: doc.Head.Hash}
	switch {
	case head.Seq > last.Seq:
		return &Break{Seq: last.Seq + 1, Problem: Removed,
			Detail: fmt.Sprintf("the head line names entry %d but the entries end at %d: entries were removed from the end", head.Seq, last.Seq)}
	case head.Seq < last.Seq:
		return &Break{Seq: head.Seq + 1, Problem: Changed,
			Detail: fmt.Sprintf("the head line names entry %d but entries go on to %d", head.Seq, last.Seq)}
	case head.Hash != last.Hash:
		return &Break{Seq: last.Seq, Problem: Rewritten,
			Detail: fmt.Sprintf("the head line says entry %d's hash is %s, the entry line says %s", last.Seq, head.Hash, last.Hash)}
	}
	return nil
}
