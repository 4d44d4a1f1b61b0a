package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// archiveLockKey serialises archivals, so that two never pick overlapping ranges. It is
// distinct from appendLockKey: appends go on while an archive file is being written.
const archiveLockKey = 0x6c61676172636876 // "lagarchv"

// ArchiveRecord describes one archival. It is the Parameters of the audit.archived entry
// that records it, which is what lets Verify accept a chain that starts after seq 1.
type ArchiveRecord struct {
	// Seq is the audit.archived entry's own seq; it is not part of its Parameters.
	Seq int64 `json:"-"`
	// FirstSeq and LastSeq bound the archived entries; LastHash is the last one's hash,
	// which the first entry kept in the table has as its prev_hash.
	FirstSeq int64  `json:"first_seq"`
	LastSeq  int64  `json:"last_seq"`
	LastHash string `json:"last_hash"`
	// Count is how many entries were archived: LastSeq - FirstSeq + 1.
	Count int64 `json:"count"`
	// Before is the cut-off: every archived entry is older.
	Before time.Time `json:"before"`
	// File is the archive file's name (without its directory) and FileSHA256 the hex
	// SHA-256 of its bytes; keep both, the file and this entry, for as long as the entries
	// must be kept.
	File       string `json:"file"`
	FileSHA256 string `json:"file_sha256"`
}

// ErrNothingToArchive is Archive's answer when no entry is older than the cut-off.
var ErrNothingToArchive = errors.New("no audit entry is older than the cut-off")

// Archive moves the oldest entries of the trail out of the table, into a new JSON Lines
// file at path (the export format, ending with the archived range's own head line), and
// records that in an audit.archived entry. The archived range is a prefix of the chain:
// from the oldest entry up to, not including, the first entry at or after before. An entry
// older than the cut-off that follows a newer one stays (At is not strictly ordered by
// seq), and the chain keeps no holes.
//
// In one transaction it: writes the file to a temporary name in path's directory, syncs
// it, renames it to path and syncs the directory; appends the audit.archived entry; then
// removes the range with the audit_archive SQL function (migration 0009), the only way the
// table lets entries go. It refuses, removing nothing, when path exists, when the range is
// empty (ErrNothingToArchive) or when any step fails before the commit; a file it already
// renamed into place is then removed again. The caller needs DELETE on audit_entry.
func Archive(ctx context.Context, db Beginner, before time.Time, path string) (ArchiveRecord, error) {
	rec := ArchiveRecord{Before: before.UTC(), File: filepath.Base(path)}
	fail := func(err error) (ArchiveRecord, error) { return rec, fmt.Errorf("audit archive to %s: %w", path, err) }
	if before.IsZero() {
		return fail(errors.New("no cut-off"))
	}
	if err := refuseExisting(path); err != nil {
		return fail(err)
	}
	tx, err := db.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(archiveLockKey)); err != nil {
		return fail(fmt.Errorf("lock: %w", err))
	}
	if rec.FirstSeq, rec.LastSeq, err = archiveRange(ctx, tx, before); err != nil {
		return fail(err)
	}
	head, sum, err := writeArchiveFile(ctx, tx, rec.FirstSeq, rec.LastSeq, path)
	if err != nil {
		return fail(err)
	}
	rec.Count, rec.LastHash, rec.FileSHA256 = rec.LastSeq-rec.FirstSeq+1, head.Hash, sum
	if err := recordArchive(ctx, tx, &rec); err != nil {
		// Nothing was removed: the transaction rolls back, so neither does the file stay.
		os.Remove(path) //nolint:errcheck // the error returned says what went wrong
		return fail(err)
	}
	if err := tx.Commit(ctx); err != nil {
		// The commit may have happened (a lost connection): never remove the file then.
		return fail(fmt.Errorf("commit: %w; the file was written, run web verify to see whether entries %d to %d are still in the table",
			err, rec.FirstSeq, rec.LastSeq))
	}
	return rec, nil
}

// archiveRange returns the prefix of the chain that is older than before: from the oldest
// entry to the one before the first entry at or after before.
func archiveRange(ctx context.Context, tx pgx.Tx, before time.Time) (first, last int64, err error) {
	var oldest, newest, young *int64
	err = tx.QueryRow(ctx, `
		SELECT min(seq), max(seq), (SELECT min(seq) FROM audit_entry WHERE at >= $1)
		FROM audit_entry`, before).Scan(&oldest, &newest, &young)
	if err != nil {
		return 0, 0, fmt.Errorf("find the range: %w", err)
	}
	if oldest == nil {
		return 0, 0, ErrNothingToArchive
	}
	last = *newest
	if young != nil {
		last = *young - 1
	}
	if last < *oldest {
		return 0, 0, ErrNothingToArchive
	}
	return *oldest, last, nil
}

// recordArchive appends the audit.archived entry, then removes the range. The entry goes
// first: the newest entry must stay for the chain to carry on from it, and audit_archive
// refuses to remove it.
func recordArchive(ctx context.Context, tx pgx.Tx, rec *ArchiveRecord) error {
	params, err := JSON(rec)
	if err != nil {
		return err
	}
	err = Append(ctx, tx, Entry{Actor: Actor{Subject: SystemSubject}, Action: ActionArchived,
		Reason: fmt.Sprintf("retention: entries %d to %d, older than %s, moved to %s", rec.FirstSeq, rec.LastSeq,
			rec.Before.Format(time.RFC3339), rec.File),
		Parameters: params, Outcome: Success})
	if err != nil {
		return err
	}
	head, err := ReadHead(ctx, tx)
	if err != nil {
		return err
	}
	rec.Seq = head.Seq
	var removed int64
	if err := tx.QueryRow(ctx, `SELECT audit_archive($1)`, rec.LastSeq).Scan(&removed); err != nil {
		return fmt.Errorf("remove entries %d to %d: %w", rec.FirstSeq, rec.LastSeq, err)
	}
	if removed != rec.Count {
		return fmt.Errorf("remove entries %d to %d: %d removed, %d archived", rec.FirstSeq, rec.LastSeq, removed, rec.Count)
	}
	return nil
}

// refuseExisting fails when something already has the name path: an archive is never
// overwritten.
func refuseExisting(path string) error {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return fmt.Errorf("%w; an archive is never overwritten", fs.ErrExist)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return err
	}
}
