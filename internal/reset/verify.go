package reset

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
)

// Verification is what the verifier saw after an execution, per queue set.
type Verification struct {
	At     time.Time    `json:"at"`
	Queues []QueueCheck `json:"queues"`
}

// QueueCheck is one queue's verification.
type QueueCheck struct {
	QueueRef
	Before int64 `json:"before"`
	Target int64 `json:"target"`
	// Seen is the committed offset last seen.
	Seen int64 `json:"seen"`
	// Honoured is set once the offset was seen at its target, or past it through
	// consumption without going back to where it was.
	Honoured   bool       `json:"honoured"`
	HonouredAt *time.Time `json:"honoured_at,omitempty"`
}

// honours reports whether a committed offset shows the reset was kept: it is at the
// target, or between the target and where the queue was before (consumption moved it on
// from a rewind), or anywhere at or past a forward target.
func (q QueueCheck) honours(seen int64) bool {
	switch {
	case seen == q.Target:
		return true
	case q.Before > q.Target: // a rewind
		return seen >= q.Target && seen < q.Before
	default:
		return seen >= q.Target
	}
}

// system is the actor of the entries the workflow writes on its own: expiry and
// verification.
var system = Who{Actor: audit.Actor{Subject: audit.SystemSubject, Name: "reset workflow"}}

// Run expires overdue requests and verifies executed ones until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.o.VerifyEvery)
	defer t.Stop()
	for {
		if err := s.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.ErrorContext(ctx, "expire reset requests", "err", err)
		}
		if err := s.sweepInterrupted(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.ErrorContext(ctx, "sweep interrupted resets", "err", err)
		}
		if err := s.VerifyDue(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.ErrorContext(ctx, "verify resets", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ExpireDue expires every pending or approved request past its expiry.
func (s *Service) ExpireDue(ctx context.Context) error {
	ids, err := s.ids(ctx, `SELECT id::text FROM reset_request WHERE state IN ('pending', 'approved') AND expires_at <= $1`, s.o.Now())
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.expire(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// expire moves the request to expired if it is pending or approved and past its expiry.
func (s *Service) expire(ctx context.Context, id string) error {
	if !validID(id) {
		return nil // getRequest answers not found
	}
	return pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		now := s.o.Now()
		ok, err := setStateWhere(ctx, tx, id, []State{Pending, Approved}, Expired, now, `expires_at <= $2`, "")
		if err != nil || !ok {
			return err
		}
		r, err := getRequest(ctx, tx, id, false)
		if err != nil {
			return err
		}
		e := s.entry(system, audit.ActionResetExpired, r, audit.Success)
		e.Reason = fmt.Sprintf("not executed by %s", r.ExpiresAt.UTC().Format(time.RFC3339))
		e.After = stateJSON(Expired)
		return audit.Append(ctx, tx, e)
	})
}

// VerifyDue checks every executed request that is not verified yet.
func (s *Service) VerifyDue(ctx context.Context) error {
	ids, err := s.ids(ctx, `SELECT id::text FROM reset_request WHERE state IN ('executed', 'partial') AND verified_at IS NULL
		AND executed_at <= $1 ORDER BY executed_at`, s.o.Now())
	if err != nil {
		return err
	}
	var errs []string
	for _, id := range ids {
		if err := s.verify(ctx, id); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (s *Service) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.o.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list reset requests: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// verify looks at the committed offsets of one executed request once, and concludes when
// every queue has kept its target for the settle period, or when the window is over.
func (s *Service) verify(ctx context.Context, id string) error {
	r, err := s.Get(ctx, id)
	if err != nil || r.Outcome == nil {
		return err
	}
	if r.VerifiedAt != nil || (r.State != Executed && r.State != Partial) {
		return nil // concluded meanwhile by another replica
	}
	c, err := s.Cluster(r.Cluster)
	if err != nil {
		return err
	}
	v := r.Verification
	if v == nil {
		v = &Verification{}
		for _, q := range r.Outcome.Queues {
			if q.Result == Changed || q.Result == Handed {
				v.Queues = append(v.Queues, QueueCheck{QueueRef: q.QueueRef, Before: q.Before, Target: q.Target, Seen: q.Before})
			}
		}
	}
	now := s.o.Now()
	late := now.Sub(r.Outcome.At) >= s.o.VerifyWindow
	snap, err := readOffsets(ctx, c, r.Group, r.Topic)
	if err != nil && !late {
		return fmt.Errorf("verify reset %s: %w", id, err)
	}
	unreadable := ""
	if err != nil {
		unreadable = "the brokers could not be read at the end of the verification window: " + errcode.Message(err)
	} else {
		v.observe(snap, now)
	}
	v.At = now.UTC()
	pending, settled := v.pending(now, s.o.VerifySettle)
	vj, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !late && (pending > 0 || !settled) {
		_, err := s.o.Pool.Exec(ctx, `UPDATE reset_request SET verification = $1
			WHERE id = $2 AND verified_at IS NULL AND state IN ('executed', 'partial')`, vj, id)
		return err
	}
	return pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		locked, err := getRequest(ctx, tx, id, true)
		if err != nil || locked.VerifiedAt != nil || locked.State != r.State {
			return err // concluded meanwhile by another replica
		}
		action, to, outcome := audit.ActionResetVerified, r.State, audit.Success
		if r.State == Executed {
			to = Verified
		}
		var problem string
		if pending > 0 || unreadable != "" {
			action, to, outcome = audit.ActionResetNotHonoured, NotHonoured, audit.Failure
			var back []string
			for _, q := range v.Queues {
				if !q.Honoured {
					back = append(back, fmt.Sprintf("%s at %d, target %d", q.QueueRef, q.Seen, q.Target))
				}
			}
			problem = fmt.Sprintf("%d queues did not keep the reset: %s", pending, strings.Join(back, "; "))
			if unreadable != "" {
				problem = unreadable
			}
		}
		if _, err := setState(ctx, tx, id, []State{r.State}, to, now, "verified_at = $2, verification = $3", vj); err != nil {
			return err
		}
		e := s.entry(system, action, r, outcome)
		e.Error = problem
		after := map[string]any{}
		for _, q := range v.Queues {
			after[q.String()] = map[string]any{"target": q.Target, "seen": q.Seen, "honoured": q.Honoured}
		}
		e.Parameters = mustJSON(map[string]any{"reset_id": r.ID, "kind": r.Spec.Kind, "state": to})
		e.Before, e.After = stateJSON(r.State), mustJSON(after)
		return audit.Append(ctx, tx, e)
	})
}

// observe records what the brokers show now. A queue moved forward that is seen short of
// its target again was overwritten and counts as not honoured until it is seen there; a
// rewound queue seen at or past where it was cannot be told from one consumed again, so it
// keeps the mark it earned.
func (v *Verification) observe(snap snapshot, now time.Time) {
	for i := range v.Queues {
		q := &v.Queues[i]
		_, cur, ok := snap.queue(q.QueueRef)
		if !ok {
			continue
		}
		q.Seen = cur
		switch {
		case !q.Honoured && q.honours(cur):
			at := now.UTC()
			q.Honoured, q.HonouredAt = true, &at
		case q.Honoured && q.Target > q.Before && cur < q.Target:
			q.Honoured, q.HonouredAt = false, nil
		}
	}
}

// pending counts the queues not honoured, and says whether the last of the others was
// honoured at least settle ago.
func (v *Verification) pending(now time.Time, settle time.Duration) (int, bool) {
	n, settled := 0, true
	for _, q := range v.Queues {
		switch {
		case !q.Honoured:
			n++
		case q.HonouredAt != nil && now.Sub(*q.HonouredAt) < settle:
			settled = false
		}
	}
	return n, settled
}

// sweepInterrupted ends requests whose execution began long ago and never recorded its
// outcome (the process stopped, or the database was away): they are interrupted, never
// executed again, and someone must look at the offsets.
func (s *Service) sweepInterrupted(ctx context.Context) error {
	ids, err := s.ids(ctx, `SELECT id::text FROM reset_request WHERE state = 'executing' AND executed_at <= $1`,
		s.o.Now().Add(-executeTimeout-finishGrace))
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
			cond := fmt.Sprintf(`executed_at <= $2 - make_interval(secs => %d)`, int((executeTimeout + finishGrace).Seconds()))
			ok, err := setStateWhere(ctx, tx, id, []State{Executing}, Interrupted, s.o.Now(), cond, "")
			if err != nil || !ok {
				return err
			}
			r, err := getRequest(ctx, tx, id, false)
			if err != nil {
				return err
			}
			e := s.entry(system, audit.ActionResetExecuted, r, audit.Failure)
			e.Error = "the execution began but its outcome was never recorded; the queues may or may not have moved: check the group's offsets"
			e.Parameters = mustJSON(map[string]any{"reset_id": r.ID, "kind": r.Spec.Kind, "state": Interrupted})
			e.Before, e.After = stateJSON(Executing), stateJSON(Interrupted)
			return audit.Append(ctx, tx, e)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
