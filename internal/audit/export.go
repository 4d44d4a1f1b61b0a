package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Format is an export file format.
type Format string

// Export formats; docs/AUDIT.md describes both.
const (
	// CSV is for spreadsheets: one row per entry under a header row, then the chain head
	// row.
	CSV Format = "csv"
	// JSONL is JSON Lines, the format to verify offline: one line per entry holding its
	// hash and its canonical form byte for byte, then the chain head line.
	JSONL Format = "jsonl"
)

// ChainHeadLabel starts the last row of a CSV export, the one that holds the chain head.
const ChainHeadLabel = "# chain head"

// Beginner begins transactions; a *pgxpool.Pool is one.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Exported is what an export wrote.
type Exported struct {
	// Entries is how many entries were written.
	Entries int64
	// Head is the chain head of the snapshot the entries were read from, written last.
	Head Head
}

// flushEvery is how many entries are written between flushes of the output buffer.
const flushEvery = 1000

// Export writes every entry that matches f to w, oldest first, in the given format, then
// the chain head. Entries and head are read in one REPEATABLE READ, read-only transaction,
// so the head is the one of the very snapshot the entries came from. Rows are written as
// they are read and w is flushed as it goes (when it has a Flush method, as an
// http.ResponseWriter does), so memory stays flat whatever the trail's size. An output
// without its chain head is incomplete.
func Export(ctx context.Context, db Beginner, f Filter, format Format, w io.Writer) (Exported, error) {
	var out Exported
	var enc encoder
	switch format {
	case CSV:
		enc = newCSVEncoder()
	case JSONL:
		enc = jsonlEncoder{}
	default:
		return out, fmt.Errorf("audit export: unknown format %q", format)
	}
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return out, fmt.Errorf("audit export: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: nothing to keep
	// The first statement fixes the snapshot; everything after reads the same one.
	if out.Head, err = ReadHead(ctx, tx); err != nil {
		return out, fmt.Errorf("audit export: %w", err)
	}
	var args []any
	rows, err := tx.Query(ctx, "SELECT "+entryColumns+" FROM audit_entry"+whereClause(f.conditions(&args))+" ORDER BY seq", args...)
	if err != nil {
		return out, fmt.Errorf("audit export: %w", err)
	}
	defer rows.Close()

	bw := bufio.NewWriterSize(w, 64<<10)
	flush := func() error {
		if err := bw.Flush(); err != nil {
			return err
		}
		if fl, ok := w.(interface{ Flush() }); ok {
			fl.Flush()
		} else if fl, ok := w.(interface{ Flush() error }); ok {
			return fl.Flush()
		}
		return nil
	}
	fail := func(err error) (Exported, error) {
		return out, fmt.Errorf("audit export after %d entries: %w", out.Entries, err)
	}
	var line []byte
	if line, err = enc.header(line[:0]); err != nil {
		return fail(err)
	}
	if _, err := bw.Write(line); err != nil {
		return fail(err)
	}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fail(err)
		}
		if line, err = enc.entry(line[:0], e); err != nil {
			return fail(fmt.Errorf("entry %d: %w", e.Seq, err))
		}
		if _, err := bw.Write(line); err != nil {
			return fail(err)
		}
		if out.Entries++; out.Entries%flushEvery == 0 {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if line, err = enc.head(line[:0], out.Head); err != nil {
		return fail(err)
	}
	if _, err := bw.Write(line); err != nil {
		return fail(err)
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	return out, nil
}

// encoder appends one format's lines to a buffer.
type encoder interface {
	header(b []byte) ([]byte, error)
	entry(b []byte, e Entry) ([]byte, error)
	head(b []byte, h Head) ([]byte, error)
}

// jsonlEncoder writes {"hash":"…","entry":<canonical form>} per entry: the bytes between
// `"entry":` and the final `}` are exactly what the hash covers.
type jsonlEncoder struct{}

func (jsonlEncoder) header(b []byte) ([]byte, error) { return b, nil }

func (jsonlEncoder) entry(b []byte, e Entry) ([]byte, error) {
	c, err := Canonical(e)
	if err != nil {
		return b, err
	}
	b = append(b, `{"hash":`...)
	b = strconv.AppendQuote(b, e.Hash)
	b = append(b, `,"entry":`...)
	b = append(b, c...)
	return append(b, "}\n"...), nil
}

func (jsonlEncoder) head(b []byte, h Head) ([]byte, error) {
	b = append(b, `{"chain_head":{"seq":`...)
	b = strconv.AppendInt(b, h.Seq, 10)
	b = append(b, `,"hash":`...)
	b = strconv.AppendQuote(b, h.Hash)
	return append(b, "}}\n"...), nil
}

// ParseHead reads a chain head written as SEQ:HASH, the form `web verify` prints and
// auditors record.
func ParseHead(v string) (Head, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(v), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	hash = strings.ToLower(hash)
	if !ok || err != nil || n < 1 || len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return Head{}, errors.New("a chain head is SEQ:HASH, e.g. 42:<64 hex digits>")
	}
	return Head{Seq: n, Hash: hash}, nil
}
