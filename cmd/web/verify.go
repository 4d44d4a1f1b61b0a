package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/storage"
)

// verify walks the audit chain and prints its head; a broken chain prints the first broken
// entry and fails. It needs only DATABASE_URL, reads only, and applies no migration, so an
// auditor can run it with a read-only role. -head SEQ:HASH (repeatable) checks heads
// recorded earlier.
func verify(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var anchors []audit.Head
	fs.Func("head", "a head recorded earlier, as SEQ:HASH; it must still be in the chain", func(v string) error {
		h, err := parseHead(v)
		if err == nil {
			anchors = append(anchors, h)
		}
		return err
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	url := strings.TrimSpace(getenv(config.EnvDatabaseURL))
	if url == "" {
		return fmt.Errorf("configuration: %s: is required", config.EnvDatabaseURL)
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := storage.Open(openCtx, url)
	if err != nil {
		return fmt.Errorf("%s: %w", config.EnvDatabaseURL, err)
	}
	defer pool.Close()

	r, err := audit.Verify(ctx, pool, anchors...)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("head: seq %d hash %s", r.Head.Seq, r.Head.Hash)
	if r.Intact() {
		fmt.Fprintf(stdout, "audit chain intact: %d entries\n%s\n", r.Entries, head)
		return nil
	}
	fmt.Fprintf(stdout, "audit chain BROKEN: %d entries read\nfirst broken %s\n%s (as stored, not trustworthy)\n", r.Entries, r.Broken, head)
	return fmt.Errorf("audit chain broken at %s", r.Broken)
}

// parseHead reads SEQ:HASH as web verify prints it.
func parseHead(v string) (audit.Head, error) {
	seq, hash, ok := strings.Cut(v, ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 1 || len(hash) != 64 {
		return audit.Head{}, errors.New("want SEQ:HASH, e.g. 42:<64 hex digits>")
	}
	return audit.Head{Seq: n, Hash: strings.ToLower(hash)}, nil
}
