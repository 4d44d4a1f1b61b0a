package storage

import (
	"context"
	"fmt"
)

// SessionGeneration returns the session generation of a user, 0 for a user never revoked.
// A session made at an older generation is no longer valid.
func SessionGeneration(ctx context.Context, db DBTX, issuer, subject string) (int64, error) {
	var gen int64
	err := db.QueryRow(ctx, `
		SELECT coalesce(max(generation), 0) FROM session_generation
		WHERE issuer = $1 AND subject = $2`, issuer, subject).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("session generation of %s: %w", subject, err)
	}
	return gen, nil
}

// RevokeSessions bumps a user's session generation, which invalidates every session the
// user holds, and returns the new generation.
func RevokeSessions(ctx context.Context, db DBTX, issuer, subject string) (int64, error) {
	var gen int64
	err := db.QueryRow(ctx, `
		INSERT INTO session_generation (issuer, subject, generation, revoked_at) VALUES ($1, $2, 1, now())
		ON CONFLICT (issuer, subject) DO UPDATE SET
			generation = session_generation.generation + 1, revoked_at = now()
		RETURNING generation`, issuer, subject).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of %s: %w", subject, err)
	}
	return gen, nil
}

// DeleteExpiredSessions removes sessions past their expiry and returns how many went.
func DeleteExpiredSessions(ctx context.Context, db DBTX) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM sessions WHERE expiry < now()`)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// CountSessions returns how many unexpired sessions exist; tests and operators use it.
func CountSessions(ctx context.Context, db DBTX) (int64, error) {
	var n int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE expiry > now()`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count sessions: %w", err)
	}
	return n, nil
}
