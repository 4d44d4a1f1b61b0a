package audit

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
)

// writeArchiveFile writes entries first to last to a new file at path, durably: to a
// temporary file in the same directory, synced, then renamed to path, and the directory
// synced, so that after a crash path either does not exist or holds the whole archive. It
// returns the last entry's head and the hex SHA-256 of the file. The file is readable by
// its owner only: entries name people and where they connected from.
func writeArchiveFile(ctx context.Context, tx pgx.Tx, first, last int64, path string) (Head, string, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return Head{}, "", err
	}
	tmp := f.Name()
	defer os.Remove(tmp) //nolint:errcheck // gone already after the rename
	defer f.Close()      //nolint:errcheck // closed and checked below on success

	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 64<<10)
	n, head, err := exportRange(ctx, tx, first, last, w)
	if err != nil {
		return Head{}, "", err
	}
	if want := last - first + 1; n != want || head.Seq != last {
		return Head{}, "", fmt.Errorf("export read %d entries ending at seq %d, want %d ending at seq %d", n, head.Seq, want, last)
	}
	if err := w.Flush(); err != nil {
		return Head{}, "", err
	}
	if err := f.Sync(); err != nil {
		return Head{}, "", err
	}
	if err := f.Close(); err != nil {
		return Head{}, "", err
	}
	// Checked again: the file may have appeared while the export ran, and rename replaces.
	if err := refuseExisting(path); err != nil {
		return Head{}, "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return Head{}, "", err
	}
	if err := syncDir(dir); err != nil {
		os.Remove(path) //nolint:errcheck // the sync error is the one to report
		return Head{}, "", fmt.Errorf("sync %s: %w", dir, err)
	}
	return head, hex.EncodeToString(h.Sum(nil)), nil
}

// exportRange writes entries first to last in the JSON Lines export format (the encoder
// Export uses), then the range's own head line: the last entry written, not the chain's head, so that the
// file verifies on its own (VerifyArchive). It reads inside tx, which must see the whole
// range, and refuses a range whose entries do not hash or link: archiving them would move
// the evidence out of the table. Export itself does not fit: its filter selects by time,
// which need not be a prefix of the chain, and its last line is the whole chain's head.
func exportRange(ctx context.Context, tx pgx.Tx, first, last int64, w io.Writer) (int64, Head, error) {
	var enc jsonlEncoder
	var n int64
	var head Head
	rows, err := tx.Query(ctx, "SELECT "+entryColumns+" FROM audit_entry WHERE seq BETWEEN $1 AND $2 ORDER BY seq", first, last)
	if err != nil {
		return 0, head, fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	var line []byte
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return n, head, fmt.Errorf("export after %d entries: %w", n, err)
		}
		if err := checkLink(e, n, head); err != nil {
			return n, head, fmt.Errorf("export: %w; a broken chain is not archived, run web verify", err)
		}
		if line, err = enc.entry(line[:0], e); err != nil {
			return n, head, fmt.Errorf("export entry %d: %w", e.Seq, err)
		}
		if _, err := w.Write(line); err != nil {
			return n, head, fmt.Errorf("export after %d entries: %w", n, err)
		}
		n, head = n+1, Head{Seq: e.Seq, Hash: e.Hash}
	}
	if err := rows.Err(); err != nil {
		return n, head, fmt.Errorf("export after %d entries: %w", n, err)
	}
	if n == 0 {
		return 0, head, errors.New("export: no entries")
	}
	line, _ = enc.head(line[:0], head)
	if _, err := w.Write(line); err != nil {
		return n, head, fmt.Errorf("export the head line: %w", err)
	}
	return n, head, nil
}

// checkLink checks that e hashes to its hash and, unless it is the first of n entries read
// so far, follows prev.
func checkLink(e Entry, n int64, prev Head) error {
	sum, err := HashOf(e)
	switch {
	case err != nil:
		return fmt.Errorf("entry %d: %w", e.Seq, err)
	case sum != e.Hash:
		return fmt.Errorf("entry %d: %s", e.Seq, Changed)
	case n > 0 && (e.Seq != prev.Seq+1 || e.PrevHash != prev.Hash):
		return fmt.Errorf("entry %d: does not follow entry %d", e.Seq, prev.Seq)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close() //nolint:errcheck // read-only
	return d.Sync()
}
