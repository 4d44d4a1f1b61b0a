package alert

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
)

// Service changes alert rules and silences, acknowledges alerts and puts given-up
// notifications back in the queue: each change and its audit entry in one transaction.
// Callers decide who may (the HTTP layer checks alerts:manage over the patterns).
type Service struct {
	pool    *pgxpool.Pool
	baseURL string
	now     func() time.Time
}

// NewService returns a Service on pool; baseURL is Lagboard's public URL, for the links of
// the resolutions a deleted rule sends.
func NewService(pool *pgxpool.Pool, baseURL string) *Service {
	return &Service{pool: pool, baseURL: baseURL, now: time.Now}
}

// Who is the person acting, for the audit trail.
type Who struct {
	audit.Origin
	Session string // a hash of the session id
}

func (w Who) entry(action audit.Action, at time.Time) audit.Entry {
	return audit.Entry{At: at, Actor: w.Actor, Session: w.Session, SourceIP: w.SourceIP, UserAgent: w.UserAgent,
		RequestID: w.RequestID, Action: action, Outcome: audit.Success}
}

// errNoRule answers a rule id that does not exist.
var errNoRule = errcode.Errorf(errcode.NotFound, "There is no such alert rule: it may have been deleted.")

// Rules returns every rule, by name.
func (s *Service) Rules(ctx context.Context) ([]storage.AlertRule, error) {
	return storage.AlertRules(ctx, s.pool)
}

// Rule returns one rule.
func (s *Service) Rule(ctx context.Context, id int64) (storage.AlertRule, error) {
	r, err := storage.AlertRuleByID(ctx, s.pool, id, false)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, errNoRule
	}
	return r, err
}

// CreateRule stores a new rule.
func (s *Service) CreateRule(ctx context.Context, who Who, r storage.AlertRule) (int64, error) {
	now := s.now()
	r.UpdatedAt, r.UpdatedBy = now, who.Actor.Subject
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if id, err = storage.InsertAlertRule(ctx, tx, r); err != nil {
			return nameTaken(err, r.Name)
		}
		r.ID = id
		e := who.entry(audit.ActionAlertRuleCreated, now)
		if e.Parameters, err = audit.JSON(map[string]any{"rule_id": id, "name": r.Name}); err != nil {
			return err
		}
		if e.After, err = audit.JSON(ruleRecord(r)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
	return id, err
}

// UpdateRule replaces a rule's settings, provided nobody changed it since it was read at
// readAt (its UpdatedAt); otherwise the person sees the rule again.
func (s *Service) UpdateRule(ctx context.Context, who Who, r storage.AlertRule, readAt time.Time) error {
	now := s.now()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		old, err := storage.AlertRuleByID(ctx, tx, r.ID, true)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoRule
		}
		if err != nil {
			return err
		}
		if !old.UpdatedAt.Equal(readAt) {
			return errcode.Errorf(errcode.Conflict, "%s changed this rule meanwhile: open it again to see its settings now.", old.UpdatedBy)
		}
		r.UpdatedAt, r.UpdatedBy = now, who.Actor.Subject
		if err := storage.UpdateAlertRule(ctx, tx, r); err != nil {
			return nameTaken(err, r.Name)
		}
		e := who.entry(audit.ActionAlertRuleChanged, now)
		if e.Parameters, err = audit.JSON(map[string]any{"rule_id": r.ID, "name": r.Name}); err != nil {
			return err
		}
		if e.Before, err = audit.JSON(ruleRecord(old)); err != nil {
			return err
		}
		if e.After, err = audit.JSON(ruleRecord(r)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
}

// DeleteRule removes a rule. Its firing alerts that receivers were told of are resolved
// ("the rule was deleted"), in the same transaction.
func (s *Service) DeleteRule(ctx context.Context, who Who, id int64) error {
	now := s.now()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := storage.AlertRuleByID(ctx, tx, id, true)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoRule
		}
		if err != nil {
			return err
		}
		firing, err := storage.LockRuleAlerts(ctx, tx, id)
		if err != nil {
			return err
		}
		var out []storage.OutboxRow
		for _, a := range firing {
			if a.NotifiedAt == nil {
				continue
			}
			n := Notification{ID: newKey(), Kind: Resolved, Rule: r.Name, RuleID: r.ID, Cluster: a.Cluster, Group: a.Group,
				URL: groupURL(s.baseURL, a.Cluster, a.Group), Status: a.Health, Trigger: a.Trigger,
				Summary: "the rule was deleted", Since: *a.FiringSince, At: now, ResolvedAt: &now}
			out = append(out, outboxRow(r, n))
		}
		if err := storage.QueueNotifications(ctx, tx, out); err != nil {
			return err
		}
		if err := storage.DeleteAlertRule(ctx, tx, id); err != nil {
			return err
		}
		e := who.entry(audit.ActionAlertRuleDeleted, now)
		if e.Parameters, err = audit.JSON(map[string]any{"rule_id": id, "name": r.Name, "resolved_alerts": len(out)}); err != nil {
			return err
		}
		if e.Before, err = audit.JSON(ruleRecord(r)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
}

// Silence stores a silence: no notification for the groups it matches from now for d.
func (s *Service) Silence(ctx context.Context, who Who, clusterPattern, groupPattern string, d time.Duration, reason string) (int64, error) {
	now := s.now()
	si := storage.AlertSilence{ClusterPattern: clusterPattern, GroupPattern: groupPattern, StartsAt: now, EndsAt: now.Add(d),
		Reason: reason, CreatedBy: who.Actor.Subject}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if id, err = storage.InsertSilence(ctx, tx, si); err != nil {
			return err
		}
		e := who.entry(audit.ActionAlertSilenced, now)
		e.Reason = reason
		if clusterPattern != "*" || groupPattern != "*" {
			e.Target = audit.Target{Cluster: literal(clusterPattern), Group: literal(groupPattern)}
		}
		if e.Parameters, err = audit.JSON(map[string]any{"silence_id": id, "clusters": clusterPattern,
			"consumer_groups": groupPattern, "ends_at": si.EndsAt.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
	return id, err
}

// literal is a pattern that names one thing, or "" for a glob: audit targets are names.
func literal(p string) string {
	for _, c := range p {
		if c == '*' {
			return ""
		}
	}
	return p
}

// EndSilence ends a silence early; check decides whether who may, before anything changes.
func (s *Service) EndSilence(ctx context.Context, who Who, id int64, check func(storage.AlertSilence) error) error {
	now := s.now()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		si, err := storage.SilenceByID(ctx, tx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errcode.Errorf(errcode.NotFound, "There is no such silence.")
		}
		if err != nil {
			return err
		}
		if err := check(si); err != nil {
			return err
		}
		if !si.Active(now) {
			return errcode.Errorf(errcode.Conflict, "This silence has already ended.")
		}
		if err := storage.EndSilence(ctx, tx, id, who.Actor.Subject, now); err != nil {
			return err
		}
		e := who.entry(audit.ActionAlertSilenceEnded, now)
		e.Reason = si.Reason
		e.Target = audit.Target{Cluster: literal(si.ClusterPattern), Group: literal(si.GroupPattern)}
		if e.Parameters, err = audit.JSON(map[string]any{"silence_id": id, "clusters": si.ClusterPattern,
			"consumer_groups": si.GroupPattern}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
}

// Ack acknowledges a firing alert: it is not repeated until what triggers it changes.
func (s *Service) Ack(ctx context.Context, who Who, ruleID int64, cluster, group string) error {
	now := s.now()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		st, err := storage.AckAlert(ctx, tx, ruleID, cluster, group, who.Actor.Subject, now)
		if errors.Is(err, pgx.ErrNoRows) {
			return errcode.Errorf(errcode.NotFound, "This alert is not firing any more.")
		}
		if err != nil {
			return err
		}
		e := who.entry(audit.ActionAlertAcknowledged, now)
		e.Target = audit.Target{Cluster: cluster, Group: group}
		if e.Parameters, err = audit.JSON(map[string]any{"rule_id": ruleID, "trigger": st.Trigger,
			"firing_since": st.FiringSince.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
}

// Retry puts a given-up notification back in the queue; check decides whether who may,
// from the notification, before anything changes.
func (s *Service) Retry(ctx context.Context, who Who, id int64, check func(storage.OutboxRow) error) error {
	now := s.now()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := storage.RetryNotification(ctx, tx, id, now)
		if errors.Is(err, pgx.ErrNoRows) {
			return errcode.Errorf(errcode.Conflict, "This notification is not given up: it is queued or delivered already.")
		}
		if err != nil {
			return err
		}
		if err := check(row); err != nil {
			return err
		}
		e := who.entry(audit.ActionAlertRetried, now)
		e.Target = audit.Target{Cluster: row.Cluster, Group: row.Group}
		if e.Parameters, err = audit.JSON(map[string]any{"notification": row.Key, "rule": row.RuleName,
			"kind": row.Kind, "attempts": row.Attempts}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
}

// ruleRecord is a rule as the audit trail keeps it: everything but the secret, and the
// receiver's URL as DisplayURL shows it.
func ruleRecord(r storage.AlertRule) map[string]any {
	m := map[string]any{"name": r.Name, "enabled": r.Enabled, "clusters": r.Clusters, "consumer_groups": r.Groups,
		"statuses": r.Statuses, "expired": r.Expired, "hold_seconds": r.HoldSeconds, "receiver_kind": r.ReceiverKind,
		"receiver_url": DisplayURL(r.ReceiverKind, r.ReceiverURL), "secret_set": r.ReceiverSecret != ""}
	if r.Statuses == nil {
		m["statuses"] = []string{}
	}
	if r.LagMessages != nil {
		m["lag_messages"] = *r.LagMessages
	}
	if r.LagSeconds != nil {
		m["lag_seconds"] = *r.LagSeconds
	}
	if r.DrainWithinSeconds != nil {
		m["drain_within_seconds"] = *r.DrainWithinSeconds
	}
	if r.RepeatSeconds != nil {
		m["repeat_seconds"] = *r.RepeatSeconds
	}
	return m
}

// nameTaken turns the unique violation of a rule's name into a message for the form.
func nameTaken(err error, name string) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		return FieldError("name", "a rule named %q exists already", name)
	}
	return fmt.Errorf("alert rule: %w", err)
}

// ParseID reads a numeric id from a URL.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errcode.Errorf(errcode.NotFound, "There is no such alert rule, silence or notification.")
	}
	return id, nil
}
