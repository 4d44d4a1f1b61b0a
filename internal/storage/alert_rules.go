package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AlertRule is a stored alert rule (internal/alert validates and explains it).
type AlertRule struct {
	ID       int64    `db:"id"`
	Name     string   `db:"name"`
	Enabled  bool     `db:"enabled"`
	Clusters []string `db:"clusters"`
	Groups   []string `db:"consumer_groups"`
	// Statuses, Expired, LagMessages, LagSeconds and DrainWithinSeconds are the triggers:
	// the rule fires for a group when one of them holds.
	Statuses           []string  `db:"statuses"`
	Expired            bool      `db:"expired"`
	LagMessages        *int64    `db:"lag_messages"`
	LagSeconds         *float64  `db:"lag_seconds"`
	DrainWithinSeconds *float64  `db:"drain_within_seconds"`
	HoldSeconds        int32     `db:"hold_seconds"`
	RepeatSeconds      *int32    `db:"repeat_seconds"`
	ReceiverKind       string    `db:"receiver_kind"`
	ReceiverURL        string    `db:"receiver_url"`
	ReceiverSecret     string    `db:"receiver_secret"`
	CreatedAt          time.Time `db:"created_at"`
	CreatedBy          string    `db:"created_by"`
	UpdatedAt          time.Time `db:"updated_at"`
	UpdatedBy          string    `db:"updated_by"`
}

const alertRuleColumns = `id, name, enabled, clusters, consumer_groups, statuses, expired, lag_messages, lag_seconds,
	drain_within_seconds, hold_seconds, repeat_seconds, receiver_kind, receiver_url, receiver_secret,
	created_at, created_by, updated_at, updated_by`

// AlertRules returns every rule, by name.
func AlertRules(ctx context.Context, db DBTX) ([]AlertRule, error) {
	rows, err := db.Query(ctx, `SELECT `+alertRuleColumns+` FROM alert_rule ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("alert rules: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[AlertRule])
}

// AlertRuleByID returns one rule; pgx.ErrNoRows when there is none. forUpdate locks it
// until the transaction ends.
func AlertRuleByID(ctx context.Context, db DBTX, id int64, forUpdate bool) (AlertRule, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	rows, err := db.Query(ctx, `SELECT `+alertRuleColumns+` FROM alert_rule WHERE id = $1`+lock, id)
	if err != nil {
		return AlertRule{}, fmt.Errorf("alert rule %d: %w", id, err)
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AlertRule])
}

// InsertAlertRule stores a new rule and returns its id.
func InsertAlertRule(ctx context.Context, db DBTX, r AlertRule) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `
		INSERT INTO alert_rule (name, enabled, clusters, consumer_groups, statuses, expired, lag_messages, lag_seconds,
			drain_within_seconds, hold_seconds, repeat_seconds, receiver_kind, receiver_url, receiver_secret,
			created_at, created_by, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $15, $16)
		RETURNING id`,
		r.Name, r.Enabled, r.Clusters, r.Groups, nonNil(r.Statuses), r.Expired, r.LagMessages, r.LagSeconds,
		r.DrainWithinSeconds, r.HoldSeconds, r.RepeatSeconds, r.ReceiverKind, r.ReceiverURL, r.ReceiverSecret,
		r.UpdatedAt, r.UpdatedBy).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert alert rule: %w", err)
	}
	return id, nil
}

// UpdateAlertRule replaces a rule's settings. Its notifications not yet delivered follow
// the new receiver: fixing a wrong URL lets them through.
func UpdateAlertRule(ctx context.Context, db DBTX, r AlertRule) error {
	tag, err := db.Exec(ctx, `
		UPDATE alert_rule SET name = $2, enabled = $3, clusters = $4, consumer_groups = $5, statuses = $6, expired = $7,
			lag_messages = $8, lag_seconds = $9, drain_within_seconds = $10, hold_seconds = $11, repeat_seconds = $12,
			receiver_kind = $13, receiver_url = $14, receiver_secret = $15, updated_at = $16, updated_by = $17
		WHERE id = $1`,
		r.ID, r.Name, r.Enabled, r.Clusters, r.Groups, nonNil(r.Statuses), r.Expired, r.LagMessages, r.LagSeconds,
		r.DrainWithinSeconds, r.HoldSeconds, r.RepeatSeconds, r.ReceiverKind, r.ReceiverURL, r.ReceiverSecret,
		r.UpdatedAt, r.UpdatedBy)
	if err != nil {
		return fmt.Errorf("update alert rule %d: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	if _, err := db.Exec(ctx, `
		UPDATE alert_outbox SET rule_name = $2, receiver_kind = $3, receiver_url = $4, receiver_secret = $5
		WHERE rule_id = $1 AND state = 'pending'`,
		r.ID, r.Name, r.ReceiverKind, r.ReceiverURL, r.ReceiverSecret); err != nil {
		return fmt.Errorf("update alert rule %d: pending notifications: %w", r.ID, err)
	}
	return nil
}

// DeleteAlertRule removes a rule and its alert states.
func DeleteAlertRule(ctx context.Context, db DBTX, id int64) error {
	tag, err := db.Exec(ctx, `DELETE FROM alert_rule WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete alert rule %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	return nil
}
