package http

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
)

// AuditStore begins the read-only REPEATABLE READ transactions that audit exports read
// in, so that the chain head they end with is the one of their own snapshot. A
// *pgxpool.Pool is one.
type AuditStore interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// auditStore is Deps.Audit, or Deps.Store when that can begin transactions (a pool can).
func (s *Server) auditStore() (AuditStore, bool) {
	if s.deps.Audit != nil {
		return s.deps.Audit, true
	}
	st, ok := s.deps.Store.(AuditStore)
	return st, ok
}

// auditExport streams the entries that match the filters as a download, oldest first,
// ending with the chain head. Rows are written as they are read from Postgres, so a
// download of millions of entries holds no more than a buffer in memory. A failure before
// the first byte is an error page; after it, the connection is cut so that the client sees
// a broken download, never a file that merely looks complete (it lacks its chain head).
func (s *Server) auditExport(format audit.Format) handlerFunc {
	types := map[audit.Format]string{audit.CSV: "text/csv; charset=utf-8", audit.JSONL: "application/x-ndjson; charset=utf-8"}
	return func(w http.ResponseWriter, r *http.Request) error {
		q, f, _, err := parseAuditQuery(r.URL.Query())
		if err != nil {
			return err
		}
		if q.Before > 0 || q.After > 0 {
			return errcode.Errorf(errcode.Invalid, "An export holds every matching entry; it takes filters, not a page.")
		}
		db, ok := s.auditStore()
		if !ok {
			return errcode.Errorf(errcode.Unavailable, "Exports are not available on this server.")
		}
		name := "lagboard-audit-" + time.Now().UTC().Format("20060102T150405Z") + "." + string(format)
		dw := &downloadWriter{w: w, header: func(h http.Header) {
			h.Set("Content-Type", types[format])
			h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
			h.Set("Cache-Control", "no-store")
		}}
		out, err := audit.Export(r.Context(), db, f, format, dw)
		if err == nil {
			return nil
		}
		if !dw.started {
			return err
		}
		s.deps.Logger.ErrorContext(r.Context(), "audit export cut short", "err", err, "format", format,
			"entries", out.Entries, "request_id", middleware.GetReqID(r.Context()))
		panic(http.ErrAbortHandler)
	}
}

// downloadWriter sets a download's headers at its first byte, so that an error before it
// can still be answered with an error page, and passes flushes on to the client.
type downloadWriter struct {
	w       http.ResponseWriter
	header  func(http.Header)
	started bool
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		d.header(d.w.Header())
		d.w.WriteHeader(http.StatusOK)
	}
	return d.w.Write(p)
}

// Flush sends what was written so far.
func (d *downloadWriter) Flush() {
	if d.started {
		http.NewResponseController(d.w).Flush() //nolint:errcheck // a failed flush shows at the next write
	}
}
