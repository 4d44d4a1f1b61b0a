package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
)

// archive moves the audit entries older than -before out of the table into the new file
// -out, and records that in an audit.archived entry (audit.Archive). It needs only
// DATABASE_URL, with a role that may DELETE from audit_entry, and applies no migration.
// It prints what to keep: the file, and its SHA-256 as the entry records it.
func archive(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("archive", flag.ContinueOnError)
	fs.SetOutput(stdout)
	before := fs.String("before", "", "archive the entries older than this: YYYY-MM-DD (midnight UTC) or an RFC 3339 time")
	out := fs.String("out", "", "the archive file to create, JSON Lines; it must not exist")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("archive: unexpected argument %q", fs.Arg(0))
	}
	if *before == "" || *out == "" {
		return errors.New("archive: -before and -out are required")
	}
	cutoff, err := parseCutoff(*before, time.Now())
	if err != nil {
		return fmt.Errorf("archive: -before: %w", err)
	}
	pool, err := openAuditDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()

	rec, err := audit.Archive(ctx, pool, cutoff, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "archived %d entries, seq %d to %d, older than %s, to %s\n",
		rec.Count, rec.FirstSeq, rec.LastSeq, rec.Before.Format(time.RFC3339), *out)
	fmt.Fprintf(stdout, "file sha256: %s\nlast archived: seq %d hash %s\nrecorded as audit entry seq %d (%s)\n",
		rec.FileSHA256, rec.LastSeq, rec.LastHash, rec.Seq, audit.ActionArchived)
	fmt.Fprintln(stdout, "keep the file and its sha256; web verify -archive FILE checks it")
	return nil
}

// parseCutoff reads -before: a date is midnight UTC at its start; a time is RFC 3339. A
// cut-off after now would archive the whole trail, which is never what retention means.
func parseCutoff(v string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 time", v)
		}
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("%s is in the future", t.UTC().Format(time.RFC3339))
	}
	return t.UTC(), nil
}
