package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OutboxChannel is the Postgres notification channel a transaction that queues
// notifications signals on commit, so the sender need not poll for them.
const OutboxChannel = "lagboard_alert_outbox"

// Outbox states.
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxGivenUp   = "given_up"
)

// OutboxRow is one notification to deliver to one receiver.
type OutboxRow struct {
	ID             int64           `db:"id"`
	Key            string          `db:"idempotency_key"`
	CreatedAt      time.Time       `db:"created_at"`
	RuleID         *int64          `db:"rule_id"`
	RuleName       string          `db:"rule_name"`
	Cluster        string          `db:"cluster"`
	Group          string          `db:"group_name"`
	AlertKey       string          `db:"alert_key"`
	Kind           string          `db:"kind"`
	ReceiverKind   string          `db:"receiver_kind"`
	ReceiverURL    string          `db:"receiver_url"`
	ReceiverSecret string          `db:"receiver_secret"`
	Payload        json.RawMessage `db:"payload"`
	State          string          `db:"state"`
	Attempts       int32           `db:"attempts"`
	NextAt         time.Time       `db:"next_at"`
	LastAttemptAt  *time.Time      `db:"last_attempt_at"`
	LastError      *string         `db:"last_error"`
	DeliveredAt    *time.Time      `db:"delivered_at"`
	// RetriedAt is when someone put it back in the queue after it was given up.
	RetriedAt *time.Time `db:"retried_at"`
}

// Queued is when the notification entered the queue, or entered it again.
func (r OutboxRow) Queued() time.Time {
	if r.RetriedAt != nil {
		return *r.RetriedAt
	}
	return r.CreatedAt
}

const outboxColumns = `id, idempotency_key::text AS idempotency_key, created_at, rule_id, rule_name, cluster, group_name,
	alert_key, kind, receiver_kind, receiver_url, receiver_secret, payload, state, attempts, next_at, last_attempt_at,
	last_error, delivered_at, retried_at`

// QueueNotifications writes notifications to the outbox, due at once, and signals the
// sender, which hears of them when the transaction commits. They are due by the database's
// clock, not by CreatedAt: a poller's clock need not be the sender's.
func QueueNotifications(ctx context.Context, tx pgx.Tx, rows []OutboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"alert_outbox"},
		[]string{"idempotency_key", "created_at", "rule_id", "rule_name", "cluster", "group_name", "alert_key", "kind",
			"receiver_kind", "receiver_url", "receiver_secret", "payload"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			return []any{r.Key, r.CreatedAt, r.RuleID, r.RuleName, r.Cluster, r.Group, r.AlertKey, r.Kind,
				r.ReceiverKind, r.ReceiverURL, r.ReceiverSecret, string(r.Payload)}, nil
		}))
	if err != nil {
		return fmt.Errorf("queue notifications: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, OutboxChannel); err != nil {
		return fmt.Errorf("queue notifications: %w", err)
	}
	return nil
}

// ClaimNotification locks the oldest notification due at now whose alert has no earlier
// one still pending (an alert's notifications go out in order: never a resolution before
// the alert it resolves), skipping rows another transaction holds. ok is false when none
// is due.
func ClaimNotification(ctx context.Context, tx pgx.Tx, now time.Time) (r OutboxRow, ok bool, err error) {
	rows, err := tx.Query(ctx, `SELECT `+outboxColumns+` FROM alert_outbox o
		WHERE o.state = 'pending' AND o.next_at <= $1
		  AND NOT EXISTS (SELECT 1 FROM alert_outbox p WHERE p.alert_key = o.alert_key AND p.state = 'pending' AND p.id < o.id)
		ORDER BY o.next_at, o.id LIMIT 1 FOR UPDATE SKIP LOCKED`, now)
	if err != nil {
		return OutboxRow{}, false, fmt.Errorf("claim notification: %w", err)
	}
	r, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxRow])
	if err == pgx.ErrNoRows {
		return OutboxRow{}, false, nil
	}
	if err != nil {
		return OutboxRow{}, false, fmt.Errorf("claim notification: %w", err)
	}
	return r, true, nil
}

// RecordDelivery records one attempt: delivered, failed and due again at next, or failed
// for the last time (state given_up).
func RecordDelivery(ctx context.Context, db DBTX, id int64, state string, at time.Time, errText string, next time.Time) error {
	var e *string
	if errText != "" {
		e = &errText
	}
	var delivered *time.Time
	if state == OutboxDelivered {
		delivered = &at
	}
	_, err := db.Exec(ctx, `UPDATE alert_outbox SET state = $2, attempts = attempts + 1, last_attempt_at = $3,
		last_error = coalesce($4, last_error), next_at = $5, delivered_at = $6 WHERE id = $1`,
		id, state, at, e, next, delivered)
	if err != nil {
		return fmt.Errorf("record delivery %d: %w", id, err)
	}
	return nil
}

// NextNotificationDue returns when the next pending notification is due; ok is false when
// none is pending.
func NextNotificationDue(ctx context.Context, db DBTX) (at time.Time, ok bool, err error) {
	var t *time.Time
	if err := db.QueryRow(ctx, `SELECT min(next_at) FROM alert_outbox WHERE state = 'pending'`).Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("next notification: %w", err)
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return *t, true, nil
}

// RecentNotifications returns the newest notifications, newest first.
func RecentNotifications(ctx context.Context, db DBTX, limit int) ([]OutboxRow, error) {
	rows, err := db.Query(ctx, `SELECT `+outboxColumns+` FROM alert_outbox ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent notifications: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[OutboxRow])
}

// FailingNotifications returns the notifications whose last attempt failed and that are
// not delivered: pending again, or given up. Oldest first.
func FailingNotifications(ctx context.Context, db DBTX, limit int) ([]OutboxRow, error) {
	rows, err := db.Query(ctx, `SELECT `+outboxColumns+` FROM alert_outbox
		WHERE state <> 'delivered' AND last_error IS NOT NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("failing notifications: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[OutboxRow])
}

// NotificationByKey returns a notification by its idempotency key; pgx.ErrNoRows when
// there is none.
func NotificationByKey(ctx context.Context, db DBTX, key string) (OutboxRow, error) {
	rows, err := db.Query(ctx, `SELECT `+outboxColumns+` FROM alert_outbox WHERE idempotency_key::text = $1`, key)
	if err != nil {
		return OutboxRow{}, fmt.Errorf("notification %s: %w", key, err)
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxRow])
}

// RetryNotification puts a given-up notification back in the queue, due at now. It returns
// the row as it was, locked; pgx.ErrNoRows when there is no given-up notification of that id.
func RetryNotification(ctx context.Context, tx pgx.Tx, id int64, now time.Time) (OutboxRow, error) {
	rows, err := tx.Query(ctx, `SELECT `+outboxColumns+` FROM alert_outbox WHERE id = $1 AND state = 'given_up' FOR UPDATE`, id)
	if err != nil {
		return OutboxRow{}, fmt.Errorf("retry notification %d: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxRow])
	if err != nil {
		return OutboxRow{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE alert_outbox SET state = 'pending', next_at = $2, retried_at = $2 WHERE id = $1`, id, now); err != nil {
		return OutboxRow{}, fmt.Errorf("retry notification %d: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, OutboxChannel); err != nil {
		return OutboxRow{}, fmt.Errorf("retry notification %d: %w", id, err)
	}
	return r, nil
}

// OutboxStats are the outbox's figures for metrics.
type OutboxStats struct {
	Pending       int64      `db:"pending"`
	Failing       int64      `db:"failing"` // pending after at least one failed attempt
	GivenUp       int64      `db:"given_up"`
	OldestPending *time.Time `db:"oldest_pending"`
}

// ReadOutboxStats counts the outbox's undelivered notifications.
func ReadOutboxStats(ctx context.Context, db DBTX) (OutboxStats, error) {
	rows, err := db.Query(ctx, `SELECT
		count(*) FILTER (WHERE state = 'pending') AS pending,
		count(*) FILTER (WHERE state = 'pending' AND last_error IS NOT NULL) AS failing,
		count(*) FILTER (WHERE state = 'given_up') AS given_up,
		min(created_at) FILTER (WHERE state = 'pending') AS oldest_pending
		FROM alert_outbox WHERE state <> 'delivered'`)
	if err != nil {
		return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxStats])
}

// PruneOutbox deletes delivered notifications older than before, and returns how many.
func PruneOutbox(ctx context.Context, db DBTX, before time.Time) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM alert_outbox WHERE state = 'delivered' AND delivered_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	return tag.RowsAffected(), nil
}
