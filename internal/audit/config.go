package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RecordConfig appends a config_changed entry when summary, the effective configuration
// without its secrets, differs from the After of the last config_changed entry; the
// entry's Before is that previous summary (null for the first). It reports whether it
// appended. summary is compared in its canonical JSON form, so the order of map keys does
// not matter. Two servers starting at once record one change, not two: the comparison
// runs under the lock that serialises appends.
func RecordConfig(ctx context.Context, pool *pgxpool.Pool, summary any) (changed bool, err error) {
	doc, err := JSON(summary)
	if err != nil {
		return false, fmt.Errorf("audit config_changed: %w", err)
	}
	after, err := canonicalJSON(doc)
	if err != nil {
		return false, fmt.Errorf("audit config_changed: %w", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Append takes the same lock again; advisory locks nest within a session.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(appendLockKey)); err != nil {
			return fmt.Errorf("lock the chain: %w", err)
		}
		var last *string
		err := tx.QueryRow(ctx, `SELECT after FROM audit_entry WHERE action = $1 ORDER BY seq DESC LIMIT 1`,
			string(ActionConfigChanged)).Scan(&last)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read the last configuration: %w", err)
		}
		if last != nil && *last == string(after) {
			return nil
		}
		reason := "the configuration at start differs from the last one recorded"
		if errors.Is(err, pgx.ErrNoRows) {
			reason = "the first configuration recorded"
		}
		changed = true
		return Append(ctx, tx, Entry{
			Actor:  Actor{Subject: SystemSubject, Name: "server start"},
			Action: ActionConfigChanged, Reason: reason,
			Before: raw(last), After: after, Outcome: Success,
		})
	})
	if err != nil {
		return false, fmt.Errorf("audit config_changed: %w", err)
	}
	return changed, nil
}
