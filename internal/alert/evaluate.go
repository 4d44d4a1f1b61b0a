package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/storage"
)

// DefaultRepeat is how often a firing alert that nobody acknowledged is sent again, when
// neither the rule nor the configuration says.
const DefaultRepeat = 4 * time.Hour

// Evaluator decides, inside each poll's transaction, which alerts start, repeat and
// resolve, and queues their notifications in the outbox of that same transaction: a
// notification exists if and only if the group state that caused it was stored.
//
// It compares each rule's condition with the alert states kept in Postgres, not one poll
// with the one before: a transition missed (a failed evaluation, a restart) is found at
// the next poll, and nothing is decided twice.
type Evaluator struct {
	// BaseURL is Lagboard's public URL, for links to group pages.
	BaseURL string
	// Repeat is how often unacknowledged firing alerts are sent again, for rules that do
	// not say; DefaultRepeat when zero.
	Repeat time.Duration
	Logger *slog.Logger

	failures atomic.Uint64
}

// Failures counts evaluations that failed and were left out of their poll.
func (e *Evaluator) Failures() uint64 { return e.failures.Load() }

// Step returns the cycle step of one cluster's poller. An evaluation that fails is rolled
// back to a savepoint and logged: polling goes on, and the next poll evaluates again.
func (e *Evaluator) Step(cluster string) storage.CycleStep {
	return func(ctx context.Context, tx pgx.Tx, c storage.Cycle) error {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
		if err := e.evaluate(ctx, sp, cluster, c); err != nil {
			e.failures.Add(1)
			if rerr := sp.Rollback(ctx); rerr != nil {
				return fmt.Errorf("alerts: %w (and rolling back: %v)", err, rerr)
			}
			e.logger().Error("alert evaluation failed; the poll is stored without it and the next poll evaluates again",
				"cluster", cluster, "err", err)
			return nil
		}
		return sp.Commit(ctx)
	}
}

func (e *Evaluator) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// stateKey names an alert: a rule and a group of the cluster.
type stateKey struct {
	rule  int64
	group string
}

// round is one evaluation: what it read and what it decided.
type round struct {
	e        *Evaluator
	cluster  string
	now      time.Time
	silences []storage.AlertSilence
	groups   map[string]storage.AlertGroup
	out      []storage.OutboxRow
	save     []storage.AlertState
	drop     []storage.AlertState
}

func (e *Evaluator) evaluate(ctx context.Context, tx pgx.Tx, cluster string, c storage.Cycle) error {
	rules, err := storage.AlertRules(ctx, tx)
	if err != nil {
		return err
	}
	states, err := storage.LockAlertStates(ctx, tx, c.ClusterID)
	if err != nil {
		return err
	}
	var active []storage.AlertRule
	for _, r := range rules {
		if r.Enabled && slices.ContainsFunc(r.Clusters, func(p string) bool { return auth.MatchPattern(p, cluster) }) {
			active = append(active, r)
		}
	}
	if len(active) == 0 && len(states) == 0 {
		return nil
	}
	// Postgres keeps microseconds: a notification says the same time as the state it
	// came from, whether read back or not.
	rd := &round{e: e, cluster: cluster, now: c.At.Truncate(time.Microsecond), groups: map[string]storage.AlertGroup{}}
	if rd.silences, err = storage.ActiveSilences(ctx, tx, c.At); err != nil {
		return err
	}
	groups, err := storage.AlertGroups(ctx, tx, c.ClusterID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		rd.groups[g.Group] = g
	}
	existing := map[stateKey]storage.AlertState{}
	for _, s := range states {
		existing[stateKey{s.RuleID, s.Group}] = s
	}
	seen := map[stateKey]bool{}
	for _, r := range active {
		for _, g := range groups {
			if !slices.ContainsFunc(r.Groups, func(p string) bool { return auth.MatchPattern(p, g.Group) }) {
				continue
			}
			k := stateKey{r.ID, g.Group}
			seen[k] = true
			s, had := existing[k]
			var prev *storage.AlertState
			if had {
				prev = &s
			}
			rd.decide(r, g, c.ClusterID, prev)
		}
	}
	byID := map[int64]storage.AlertRule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	for k, s := range existing {
		if seen[k] {
			continue
		}
		r := byID[s.RuleID]
		why := "the rule no longer covers this group"
		switch _, ok := rd.groups[s.Group]; {
		case !ok:
			why = "the group no longer exists in the cluster"
		case !r.Enabled:
			why = "the rule was disabled"
		}
		rd.resolve(r, s, why)
	}
	for _, s := range rd.drop {
		if err := storage.DeleteAlertState(ctx, tx, s.RuleID, s.ClusterID, s.Group); err != nil {
			return err
		}
	}
	for _, s := range rd.save {
		if err := storage.SaveAlertState(ctx, tx, s); err != nil {
			return err
		}
	}
	return storage.QueueNotifications(ctx, tx, rd.out)
}

// decide moves one alert along: pending, firing, changed, repeated, resolved.
func (rd *round) decide(r storage.AlertRule, g storage.AlertGroup, clusterID int64, s *storage.AlertState) {
	if g.Health == "UNKNOWN" && !slices.Contains(r.Statuses, "UNKNOWN") {
		return // no fresh data: neither fires nor resolves an alert about anything else
	}
	trigger, summary, holds := condition(r, g)
	if !holds {
		if s != nil {
			rd.resolve(r, *s, "recovered: "+g.Health+": "+g.HealthReason)
		}
		return
	}
	now := rd.now
	if s == nil {
		s = &storage.AlertState{RuleID: r.ID, ClusterID: clusterID, Group: g.Group, PendingSince: now,
			Trigger: trigger, Health: g.Health, Summary: summary}
		rd.save = append(rd.save, *s)
	}
	silenced := rd.silenced(g.Group)
	switch {
	case s.FiringSince == nil:
		s.Trigger, s.Health, s.Summary = trigger, g.Health, summary
		if now.Sub(s.PendingSince) < time.Duration(r.HoldSeconds)*time.Second {
			rd.replace(*s)
			return
		}
		s.FiringSince = &now
		if !silenced {
			rd.notify(r, g, s, Firing)
		}
		rd.replace(*s)
	case s.Trigger != trigger:
		// What fires changed (STALL became STOP): a new notification, and an
		// acknowledgement of the old one no longer holds.
		s.Trigger, s.Health, s.Summary, s.AckedAt, s.AckedBy = trigger, g.Health, summary, nil, nil
		if !silenced {
			rd.notify(r, g, s, Firing)
		}
		rd.replace(*s)
	case silenced:
	case s.NotifiedAt == nil:
		// It started firing under a silence that has ended since.
		s.Health, s.Summary = g.Health, summary
		rd.notify(r, g, s, Firing)
		rd.replace(*s)
	case s.AckedAt == nil && r.ReceiverKind != Alertmanager && now.Sub(*s.NotifiedAt) >= rd.repeatOf(r):
		// Alertmanager repeats on its own; the sender keeps its alerts fresh instead.
		s.Health, s.Summary = g.Health, summary
		rd.notify(r, g, s, Repeat)
		rd.replace(*s)
	}
}

// replace records s to be saved, in place of an earlier version from this round.
func (rd *round) replace(s storage.AlertState) {
	for i := range rd.save {
		if rd.save[i].RuleID == s.RuleID && rd.save[i].Group == s.Group {
			rd.save[i] = s
			return
		}
	}
	rd.save = append(rd.save, s)
}

// resolve ends an alert; receivers hear of it if they heard it fire.
func (rd *round) resolve(r storage.AlertRule, s storage.AlertState, why string) {
	rd.drop = append(rd.drop, s)
	if s.FiringSince == nil || s.NotifiedAt == nil || r.ID == 0 {
		return
	}
	g, ok := rd.groups[s.Group]
	if !ok {
		g = storage.AlertGroup{Group: s.Group, Health: s.Health}
	}
	s.Summary = why
	rd.notify(r, g, &s, Resolved)
}

func (rd *round) repeatOf(r storage.AlertRule) time.Duration {
	if r.RepeatSeconds != nil {
		return time.Duration(*r.RepeatSeconds) * time.Second
	}
	if rd.e.Repeat > 0 {
		return rd.e.Repeat
	}
	return DefaultRepeat
}

func (rd *round) silenced(group string) bool {
	for _, s := range rd.silences {
		if s.Active(rd.now) && auth.MatchPattern(s.ClusterPattern, rd.cluster) && auth.MatchPattern(s.GroupPattern, group) {
			return true
		}
	}
	return false
}

// notify queues a notification of kind about s and marks s notified.
func (rd *round) notify(r storage.AlertRule, g storage.AlertGroup, s *storage.AlertState, kind string) {
	now := rd.now
	n := Notification{ID: newKey(), Kind: kind, Rule: r.Name, RuleID: r.ID, Cluster: rd.cluster, Group: s.Group,
		URL: groupURL(rd.e.BaseURL, rd.cluster, s.Group), Status: g.Health, Trigger: s.Trigger, Summary: s.Summary,
		Since: *s.FiringSince, At: now}
	if kind == Resolved {
		n.ResolvedAt = &now
		if _, ok := rd.groups[s.Group]; !ok {
			n.Trigger, n.Status = TriggerGone, ""
		}
	}
	figures(&n, g)
	rd.out = append(rd.out, outboxRow(r, n))
	if kind != Resolved {
		s.NotifiedAt = &now
	}
}

// outboxRow is n as the outbox keeps it, for the rule's receiver.
func outboxRow(r storage.AlertRule, n Notification) storage.OutboxRow {
	payload, _ := json.Marshal(n) //nolint:errchkjson // plain fields only
	id := r.ID
	return storage.OutboxRow{Key: n.ID, CreatedAt: n.At, RuleID: &id, RuleName: r.Name, Cluster: n.Cluster,
		Group: n.Group, AlertKey: fmt.Sprintf("%d/%s/%s", r.ID, n.Cluster, n.Group), Kind: n.Kind,
		ReceiverKind: r.ReceiverKind, ReceiverURL: r.ReceiverURL, ReceiverSecret: r.ReceiverSecret, Payload: payload}
}

// condition says whether a rule's condition holds for a group, what triggers it (the
// first that holds: a status, expired messages, lag in time, lag, time to drain) and why.
func condition(r storage.AlertRule, g storage.AlertGroup) (trigger, summary string, holds bool) {
	if slices.Contains(r.Statuses, g.Health) {
		return g.Health, g.HealthReason, true
	}
	if r.Expired && g.Expired != nil && *g.Expired > 0 {
		return TriggerExpired, fmt.Sprintf("%s messages expired before the group read them", thousands(*g.Expired)), true
	}
	if r.LagSeconds != nil && g.LagSeconds != nil && *g.LagSeconds >= *r.LagSeconds {
		return TriggerLagTime, fmt.Sprintf("lag in time %s, at or above %s", humanSeconds(*g.LagSeconds), humanSeconds(*r.LagSeconds)), true
	}
	if r.LagMessages != nil && g.Lag != nil && *g.Lag >= *r.LagMessages {
		return TriggerLag, fmt.Sprintf("lag %s messages, at or above %s", thousands(*g.Lag), thousands(*r.LagMessages)), true
	}
	if w := r.DrainWithinSeconds; w != nil && g.Lag != nil && *g.Lag > 0 {
		d := g.Drain
		if d.WillNotDrain() || (d.State == storage.DrainDraining && d.Seconds != nil && *d.Seconds > *w) {
			return TriggerDrain, fmt.Sprintf("will not drain within %s: %s", humanSeconds(*w), d.Reason), true
		}
	}
	return "", "", false
}
