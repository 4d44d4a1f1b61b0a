package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/storage"
)

// verify walks the audit chain and prints its head; a broken chain prints the first broken
// entry and fails. It needs only DATABASE_URL, reads only, and applies no migration, so an
// auditor can run it with a read-only role. -head SEQ:HASH (repeatable) checks heads
// recorded earlier. -archive FILE checks an archive file instead, without the database.
func verify(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var anchors []audit.Head
	fs.Func("head", "a head recorded earlier, as SEQ:HASH; it must still be in the chain", func(v string) error {
		h, err := audit.ParseHead(v)
		if err == nil {
			anchors = append(anchors, h)
		}
		return err
	})
	file := fs.String("archive", "", "check this archive file (web archive) on its own, without the database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file != "" {
		return verifyArchive(*file, stdout)
	}
	pool, err := openAuditDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()

	r, err := audit.Verify(ctx, pool, anchors...)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("head: seq %d hash %s", r.Head.Seq, r.Head.Hash)
	if r.Intact() {
		fmt.Fprintf(stdout, "audit chain intact: %d entries\n%s\n", r.Entries, head)
		if a := r.Archived; a != nil {
			fmt.Fprintf(stdout, "entries up to seq %d are archived: file %s sha256 %s (audit entry seq %d)\n", a.LastSeq, a.File, a.FileSHA256, a.Seq)
		}
		for _, h := range r.Unchecked {
			fmt.Fprintf(stdout, "recorded head seq %d is archived: check it in the archive file that holds it\n", h.Seq)
		}
		return nil
	}
	fmt.Fprintf(stdout, "audit chain BROKEN: %d entries read\nfirst broken %s\n%s (as stored, not trustworthy)\n", r.Entries, r.Broken, head)
	return fmt.Errorf("audit chain broken at %s", r.Broken)
}

// verifyArchive checks an archive file on its own and prints what to compare with the
// audit.archived entry that recorded it: its range, its head and its SHA-256.
func verifyArchive(path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("verify archive: %w", err)
	}
	defer f.Close() //nolint:errcheck // read-only
	r, err := audit.VerifyArchive(f)
	if err != nil {
		return fmt.Errorf("verify archive %s: %w", path, err)
	}
	if !r.Intact() {
		fmt.Fprintf(stdout, "archive BROKEN: %d entries read\nfirst broken %s\n", r.Entries, r.Broken)
		return fmt.Errorf("archive %s broken at %s", path, r.Broken)
	}
	fmt.Fprintf(stdout, "archive intact: %d entries, seq %d to %d\nprevious hash: %s\nhead: seq %d hash %s\nfile sha256: %s\n",
		r.Entries, r.FirstSeq, r.Head.Seq, r.PrevHash, r.Head.Seq, r.Head.Hash, r.SHA256)
	return nil
}

// openAuditDB connects to DATABASE_URL alone, for the audit subcommands: they need no other
// configuration and apply no migration.
func openAuditDB(ctx context.Context, getenv func(string) string) (*pgxpool.Pool, error) {
	url := strings.TrimSpace(getenv(config.EnvDatabaseURL))
	if url == "" {
		return nil, fmt.Errorf("configuration: %s: is required", config.EnvDatabaseURL)
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := storage.Open(openCtx, url)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvDatabaseURL, err)
	}
	return pool, nil
}
