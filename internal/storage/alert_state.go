package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AlertState is a rule's alert about one group: pending while its condition is held,
// firing after.
type AlertState struct {
	RuleID       int64      `db:"rule_id"`
	ClusterID    int64      `db:"cluster_id"`
	Group        string     `db:"group_name"`
	PendingSince time.Time  `db:"pending_since"`
	FiringSince  *time.Time `db:"firing_since"`
	Trigger      string     `db:"trigger"`
	Health       string     `db:"health"`
	Summary      string     `db:"summary"`
	NotifiedAt   *time.Time `db:"notified_at"`
	AckedAt      *time.Time `db:"acked_at"`
	AckedBy      *string    `db:"acked_by"`
}

const alertStateColumns = `rule_id, cluster_id, group_name, pending_since, firing_since, trigger, health, summary,
	notified_at, acked_at, acked_by`

// LockAlertStates returns a cluster's alert states, locked until the transaction ends so
// that acknowledgements and the evaluation of the next cycle wait for this one.
func LockAlertStates(ctx context.Context, tx pgx.Tx, clusterID int64) ([]AlertState, error) {
	rows, err := tx.Query(ctx, `SELECT `+alertStateColumns+` FROM alert_state WHERE cluster_id = $1
		ORDER BY rule_id, group_name FOR UPDATE`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("alert states: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[AlertState])
}

// SaveAlertState inserts or replaces an alert state.
func SaveAlertState(ctx context.Context, db DBTX, s AlertState) error {
	_, err := db.Exec(ctx, `
		INSERT INTO alert_state (`+alertStateColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (rule_id, cluster_id, group_name) DO UPDATE SET pending_since = excluded.pending_since,
			firing_since = excluded.firing_since, trigger = excluded.trigger, health = excluded.health,
			summary = excluded.summary, notified_at = excluded.notified_at, acked_at = excluded.acked_at,
			acked_by = excluded.acked_by`,
		s.RuleID, s.ClusterID, s.Group, s.PendingSince, s.FiringSince, s.Trigger, s.Health, s.Summary,
		s.NotifiedAt, s.AckedAt, s.AckedBy)
	if err != nil {
		return fmt.Errorf("save alert state %d/%s: %w", s.RuleID, s.Group, err)
	}
	return nil
}

// DeleteAlertState removes an alert state once its alert is resolved.
func DeleteAlertState(ctx context.Context, db DBTX, ruleID, clusterID int64, group string) error {
	_, err := db.Exec(ctx, `DELETE FROM alert_state WHERE rule_id = $1 AND cluster_id = $2 AND group_name = $3`,
		ruleID, clusterID, group)
	if err != nil {
		return fmt.Errorf("delete alert state %d/%s: %w", ruleID, group, err)
	}
	return nil
}

// AckAlert acknowledges a firing alert until its trigger changes: it is not repeated. It
// returns the state as it was, locked; pgx.ErrNoRows when no such alert fires.
func AckAlert(ctx context.Context, tx pgx.Tx, ruleID int64, cluster, group, by string, at time.Time) (AlertState, error) {
	rows, err := tx.Query(ctx, `SELECT s.rule_id, s.cluster_id, s.group_name, s.pending_since, s.firing_since, s.trigger,
			s.health, s.summary, s.notified_at, s.acked_at, s.acked_by
		FROM alert_state s JOIN cluster c ON c.id = s.cluster_id
		WHERE s.rule_id = $1 AND c.name = $2 AND s.group_name = $3 AND s.firing_since IS NOT NULL FOR UPDATE OF s`,
		ruleID, cluster, group)
	if err != nil {
		return AlertState{}, fmt.Errorf("ack alert: %w", err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AlertState])
	if err != nil {
		return AlertState{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE alert_state SET acked_at = $4, acked_by = $5
		WHERE rule_id = $1 AND cluster_id = $2 AND group_name = $3`, s.RuleID, s.ClusterID, s.Group, at, by); err != nil {
		return AlertState{}, fmt.Errorf("ack alert: %w", err)
	}
	return s, nil
}

// AlertGroup is what alert rules look at of a group.
type AlertGroup struct {
	Group        string     `db:"group_name"`
	Health       string     `db:"health"`
	HealthReason string     `db:"health_reason"`
	Lag          *int64     `db:"lag"`
	LagSeconds   *float64   `db:"lag_seconds"`
	Expired      *int64     `db:"expired"`
	Redelivered  *int64     `db:"redelivered"`
	Kind         string     `db:"kind"`
	Clients      *int32     `db:"clients"`
	StaleSince   *time.Time `db:"stale_since"`
	Drain
}

// AlertGroups returns every stored group of a cluster as alert rules see it.
func AlertGroups(ctx context.Context, db DBTX, clusterID int64) ([]AlertGroup, error) {
	rows, err := db.Query(ctx, `
		SELECT group_name, health, health_reason, lag, lag_seconds, expired, redelivered, kind, clients, stale_since,
		       drain_state, drain_seconds, lag_rate, drain_reason
		FROM group_state WHERE cluster_id = $1 ORDER BY group_name`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("alert groups: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[AlertGroup])
}

// FiringAlert is a firing alert with what the alerts page and Alertmanager need of it.
type FiringAlert struct {
	AlertState
	Cluster      string `db:"cluster"`
	RuleName     string `db:"rule_name"`
	ReceiverKind string `db:"receiver_kind"`
	ReceiverURL  string `db:"receiver_url"`
}

// FiringAlerts returns the alerts firing now, the longest firing first.
func FiringAlerts(ctx context.Context, db DBTX) ([]FiringAlert, error) {
	rows, err := db.Query(ctx, `
		SELECT s.rule_id, s.cluster_id, s.group_name, s.pending_since, s.firing_since, s.trigger, s.health, s.summary,
		       s.notified_at, s.acked_at, s.acked_by, c.name AS cluster, r.name AS rule_name, r.receiver_kind, r.receiver_url
		FROM alert_state s JOIN cluster c ON c.id = s.cluster_id JOIN alert_rule r ON r.id = s.rule_id
		WHERE s.firing_since IS NOT NULL
		ORDER BY s.firing_since, c.name, s.group_name, r.name`)
	if err != nil {
		return nil, fmt.Errorf("firing alerts: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[FiringAlert])
}

// FiringAlertsOf returns the alerts firing now about one group, by rule name.
func FiringAlertsOf(ctx context.Context, db DBTX, cluster, group string) ([]FiringAlert, error) {
	rows, err := db.Query(ctx, `
		SELECT s.rule_id, s.cluster_id, s.group_name, s.pending_since, s.firing_since, s.trigger, s.health, s.summary,
		       s.notified_at, s.acked_at, s.acked_by, c.name AS cluster, r.name AS rule_name, r.receiver_kind, r.receiver_url
		FROM alert_state s JOIN cluster c ON c.id = s.cluster_id JOIN alert_rule r ON r.id = s.rule_id
		WHERE s.firing_since IS NOT NULL AND c.name = $1 AND s.group_name = $2
		ORDER BY r.name`, cluster, group)
	if err != nil {
		return nil, fmt.Errorf("firing alerts of %s/%s: %w", cluster, group, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[FiringAlert])
}

// LockRuleAlerts returns a rule's firing alerts, locked until the transaction ends.
func LockRuleAlerts(ctx context.Context, tx pgx.Tx, ruleID int64) ([]FiringAlert, error) {
	rows, err := tx.Query(ctx, `
		SELECT s.rule_id, s.cluster_id, s.group_name, s.pending_since, s.firing_since, s.trigger, s.health, s.summary,
		       s.notified_at, s.acked_at, s.acked_by, c.name AS cluster, r.name AS rule_name, r.receiver_kind, r.receiver_url
		FROM alert_state s JOIN cluster c ON c.id = s.cluster_id JOIN alert_rule r ON r.id = s.rule_id
		WHERE s.rule_id = $1 AND s.firing_since IS NOT NULL
		ORDER BY c.name, s.group_name FOR UPDATE OF s`, ruleID)
	if err != nil {
		return nil, fmt.Errorf("alerts of rule %d: %w", ruleID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[FiringAlert])
}
