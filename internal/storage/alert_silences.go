package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AlertSilence keeps notifications about the groups its patterns match from being sent
// until it ends.
type AlertSilence struct {
	ID             int64      `db:"id"`
	ClusterPattern string     `db:"cluster_pattern"`
	GroupPattern   string     `db:"group_pattern"`
	StartsAt       time.Time  `db:"starts_at"`
	EndsAt         time.Time  `db:"ends_at"`
	Reason         string     `db:"reason"`
	CreatedBy      string     `db:"created_by"`
	EndedAt        *time.Time `db:"ended_at"`
	EndedBy        *string    `db:"ended_by"`
}

// Active reports whether the silence holds at t.
func (s AlertSilence) Active(t time.Time) bool {
	return !t.Before(s.StartsAt) && t.Before(s.EndsAt) && (s.EndedAt == nil || t.Before(*s.EndedAt))
}

const alertSilenceColumns = `id, cluster_pattern, group_pattern, starts_at, ends_at, reason, created_by, ended_at, ended_by`

// InsertSilence stores a silence and returns its id.
func InsertSilence(ctx context.Context, db DBTX, s AlertSilence) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `
		INSERT INTO alert_silence (cluster_pattern, group_pattern, starts_at, ends_at, reason, created_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		s.ClusterPattern, s.GroupPattern, s.StartsAt, s.EndsAt, s.Reason, s.CreatedBy).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert silence: %w", err)
	}
	return id, nil
}

// SilenceByID returns one silence, locked until the transaction ends; pgx.ErrNoRows when
// there is none.
func SilenceByID(ctx context.Context, tx pgx.Tx, id int64) (AlertSilence, error) {
	rows, err := tx.Query(ctx, `SELECT `+alertSilenceColumns+` FROM alert_silence WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return AlertSilence{}, fmt.Errorf("silence %d: %w", id, err)
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AlertSilence])
}

// EndSilence ends a silence early.
func EndSilence(ctx context.Context, db DBTX, id int64, by string, at time.Time) error {
	_, err := db.Exec(ctx, `UPDATE alert_silence SET ended_at = $2, ended_by = $3 WHERE id = $1 AND ended_at IS NULL`, id, at, by)
	if err != nil {
		return fmt.Errorf("end silence %d: %w", id, err)
	}
	return nil
}

// ActiveSilences returns the silences that hold at t.
func ActiveSilences(ctx context.Context, db DBTX, t time.Time) ([]AlertSilence, error) {
	rows, err := db.Query(ctx, `SELECT `+alertSilenceColumns+` FROM alert_silence
		WHERE starts_at <= $1 AND ends_at > $1 AND (ended_at IS NULL OR ended_at > $1) ORDER BY ends_at, id`, t)
	if err != nil {
		return nil, fmt.Errorf("active silences: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[AlertSilence])
}

// RecentSilences returns the silences active at t or ended since, newest first.
func RecentSilences(ctx context.Context, db DBTX, since time.Time, limit int) ([]AlertSilence, error) {
	rows, err := db.Query(ctx, `SELECT `+alertSilenceColumns+` FROM alert_silence
		WHERE ends_at > $1 AND (ended_at IS NULL OR ended_at > $1) ORDER BY starts_at DESC, id DESC LIMIT $2`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("recent silences: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[AlertSilence])
}
