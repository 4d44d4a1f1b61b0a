package freeze

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
)

// Service keeps the freeze windows and answers which are in force.
type Service struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// New returns a Service on pool; now is the clock, time.Now when nil.
func New(pool *pgxpool.Pool, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, now: now}
}

// Who is the person changing windows, as the HTTP layer knows them.
type Who struct {
	Actor                          audit.Actor
	Session                        string // a hash of the session id
	SourceIP, UserAgent, RequestID string
	// May reports whether the person holds a permission within a scope.
	May func(perm auth.Permission, scope auth.Scope) bool
}

var errForbidden = errcode.Errorf(errcode.Forbidden, "You may not change freeze windows. If you need to, ask a Lagboard administrator.")

// List returns every window.
func (s *Service) List(ctx context.Context) ([]Window, error) { return listWindows(ctx, s.pool) }

// Get returns one window.
func (s *Service) Get(ctx context.Context, id string) (Window, error) {
	return getWindow(ctx, s.pool, id, false)
}

// InForce says which windows are in force at t for the group of the cluster, and until
// when the freeze lasts.
func (s *Service) InForce(ctx context.Context, cluster, group string, t time.Time) (State, error) {
	ws, err := s.List(ctx)
	if err != nil {
		return State{}, err
	}
	return Evaluate(ws, cluster, group, t), nil
}

// Create stores a new window with its freeze.created entry, in one transaction.
func (s *Service) Create(ctx context.Context, who Who, w Window) (Window, error) {
	if who.May == nil || !who.May(auth.PermManageFreezes, auth.Scope{}) {
		return Window{}, errForbidden
	}
	now := s.now()
	if err := w.Check(now); err != nil {
		return Window{}, err
	}
	w.ID = audit.NewID()
	w.CreatedBy, w.CreatedByName, w.CreatedAt = who.Actor.Subject, displayName(who.Actor), now.UTC()
	w.UpdatedBy, w.UpdatedByName, w.UpdatedAt = w.CreatedBy, w.CreatedByName, w.CreatedAt
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := saveWindow(ctx, tx, w); err != nil {
			return err
		}
		e := s.entry(who, audit.ActionFreezeCreated, w)
		e.After = digest(w)
		return audit.Append(ctx, tx, e)
	})
	if err != nil {
		return Window{}, err
	}
	return w, nil
}

// Update changes a window, with its freeze.updated entry holding it before and after.
func (s *Service) Update(ctx context.Context, who Who, w Window) (Window, error) {
	if who.May == nil || !who.May(auth.PermManageFreezes, auth.Scope{}) {
		return Window{}, errForbidden
	}
	now := s.now()
	if err := w.Check(now); err != nil {
		return Window{}, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		old, err := getWindow(ctx, tx, w.ID, true)
		if err != nil {
			return err
		}
		w.CreatedBy, w.CreatedByName, w.CreatedAt = old.CreatedBy, old.CreatedByName, old.CreatedAt
		w.UpdatedBy, w.UpdatedByName, w.UpdatedAt = who.Actor.Subject, displayName(who.Actor), now.UTC()
		if err := saveWindow(ctx, tx, w); err != nil {
			return err
		}
		e := s.entry(who, audit.ActionFreezeUpdated, w)
		e.Before, e.After = digest(old), digest(w)
		return audit.Append(ctx, tx, e)
	})
	if err != nil {
		return Window{}, err
	}
	return w, nil
}

// Delete removes a window, with its freeze.deleted entry holding what it was.
func (s *Service) Delete(ctx context.Context, who Who, id string) error {
	if who.May == nil || !who.May(auth.PermManageFreezes, auth.Scope{}) {
		return errForbidden
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		old, err := getWindow(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := deleteWindow(ctx, tx, id); err != nil {
			return err
		}
		e := s.entry(who, audit.ActionFreezeDeleted, old)
		e.Before = digest(old)
		return audit.Append(ctx, tx, e)
	})
}

// entry is an audit entry of action on w by who. The target names the cluster and group
// when the window has one pattern of each, so that filters by cluster and group find it.
func (s *Service) entry(who Who, action audit.Action, w Window) audit.Entry {
	e := audit.Entry{
		At: s.now(), Actor: who.Actor, Session: who.Session, SourceIP: who.SourceIP, UserAgent: who.UserAgent,
		RequestID: who.RequestID, Action: action, Outcome: audit.Success, Reason: w.Reason,
		Parameters: mustJSON(map[string]any{"freeze_id": w.ID, "name": w.Name}),
	}
	if len(w.Clusters) == 1 {
		e.Target.Cluster = w.Clusters[0]
	}
	if len(w.Groups) == 1 {
		e.Target.Group = w.Groups[0]
	}
	return e
}

// digest is what the audit trail keeps of a window.
func digest(w Window) []byte {
	d := map[string]any{"name": w.Name, "reason": w.Reason, "clusters": w.Clusters, "groups": w.Groups,
		"kind": w.Kind, "time_zone": w.Zone, "when": w.Describe()}
	if w.Kind == Once {
		d["starts_at"], d["ends_at"] = w.Start.UTC(), w.End.UTC()
	} else {
		var days []string
		for _, day := range w.Days {
			days = append(days, day.String())
		}
		d["days"], d["from"], d["to"] = days, w.From.String(), w.To.String()
	}
	return mustJSON(d)
}

func displayName(a audit.Actor) string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Email != "":
		return a.Email
	}
	return a.Subject
}

func mustJSON(v any) []byte {
	b, err := audit.JSON(v)
	if err != nil {
		panic(fmt.Sprintf("freeze: encode %T: %v", v, err)) // only plain values are encoded
	}
	return b
}

// Scope says which clusters and groups a window covers, in words.
func (w Window) Scope() string {
	return "clusters " + strings.Join(w.Clusters, ", ") + "; groups " + strings.Join(w.Groups, ", ")
}
