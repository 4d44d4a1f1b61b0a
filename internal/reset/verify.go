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
	"github.com/lagboard/lagboard/internal/humanize"
)

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

// expire moves the request to expired if it is pending or approved and past its expiry;
// a request of several groups, all of them together.
func (s *Service) expire(ctx context.Context, id string) error {
	if !validID(id) {
		return nil // getRequest answers not found
	}
	err := pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		items, err := getItems(ctx, tx, id, true)
		if err != nil {
			return err
		}
		now := s.o.Now()
		for _, it := range items {
			ok, err := setStateWhere(ctx, tx, it.ID, []State{Pending, Approved}, Expired, now, `expires_at <= $2`, "")
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			e := s.entry(system, audit.ActionResetExpired, it, audit.Success)
			e.Reason = fmt.Sprintf("not executed by %s", it.ExpiresAt.UTC().Format(time.RFC3339))
			e.After = stateJSON(Expired)
			if err := audit.Append(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if errcode.Code(err) == errcode.NotFound {
		return nil // getRequest answers it to the caller
	}
	return err
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

// verify looks at the committed offsets of one executed request once, and concludes as
// Verification.conclude says, or with not honoured when the brokers cannot be read at the
// deadline.
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
		v = s.startVerification(*r.Outcome)
		if r.Preview.NotMoved.Pops {
			v.byBroker(r.Outcome.At)
		}
	}
	if v.Deadline.IsZero() { // begun by an earlier version
		v.Deadline = r.Outcome.At.Add(2 * s.o.VerifyWindow)
	}
	now := s.o.Now()
	late := !now.Before(v.Deadline)
	snap, err := readOffsets(ctx, c, r.Group, r.Topic)
	if err != nil && !late {
		return fmt.Errorf("verify reset %s: %w", id, err)
	}
	unreadable := ""
	if err != nil {
		unreadable = "the brokers could not be read at the end of the verification: " + errcode.Message(err)
	} else {
		v.observe(snap, now, func(q QueueCheck) string { return s.committer(ctx, c, snap, r.Group, r.Topic, q) })
	}
	v.At = now.UTC()
	verdict := v.conclude(now, s.o.VerifySettle)
	if unreadable != "" {
		verdict = notKept
	}
	vj, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if verdict == watching {
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
		if verdict == notKept {
			action, to, outcome = audit.ActionResetNotHonoured, NotHonoured, audit.Failure
		}
		e := s.entry(system, action, r, outcome)
		reverts := v.reverts()
		switch {
		case verdict == notKept && unreadable != "":
			e.Error = unreadable
		case verdict == notKept:
			problems := v.problems()
			e.Error = fmt.Sprintf("%s did not keep the reset: %s", humanize.Plural(len(problems), "queue", "queues"), strings.Join(problems, "; "))
		case len(reverts) > 0:
			e.Reason = "kept after " + humanize.Plural(len(reverts), "revert", "reverts") + ": "
		}
		e.Reason += strings.Join(reverts, "; ")
		if _, err := setState(ctx, tx, id, []State{r.State}, to, now, "verified_at = $2, verification = $3", vj); err != nil {
			return err
		}
		params := map[string]any{"state": to, "deadline": v.Deadline.UTC()}
		if !v.Until.IsZero() {
			params["window_until"] = v.Until.UTC()
		}
		e.Parameters = entryParams(r, params)
		e.Before, e.After = stateJSON(r.State), mustJSON(v.digest())
		return audit.Append(ctx, tx, e)
	})
}

// startVerification sets up the watch of an execution's queues: those it changed or handed
// to the clients. Clients online at execution get the window to commit what they held
// before; the deadline is twice the window after execution.
func (s *Service) startVerification(o Outcome) *Verification {
	v := &Verification{Deadline: o.At.Add(2 * s.o.VerifyWindow)}
	for _, q := range o.Queues {
		if q.Result != Changed && q.Result != Handed {
			continue
		}
		v.Queues = append(v.Queues, newCheck(q))
		if len(q.Clients) > 0 {
			v.Until = o.At.Add(s.o.VerifyWindow)
		}
	}
	return v
}

// byBroker marks a verification of a group that consumes by pop: there the broker commits
// the offsets itself as it hands messages out, and no client holds an offset it could commit
// back, so an offset moving on from the target is the group consuming from it, taken at
// execution, and no window for stale commits is needed.
func (v *Verification) byBroker(at time.Time) {
	v.Until = time.Time{}
	for i := range v.Queues {
		v.Queues[i].AdoptedAt = &at
	}
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
			e.Parameters = entryParams(r, map[string]any{"state": Interrupted})
			e.Before, e.After = stateJSON(Executing), stateJSON(Interrupted)
			return audit.Append(ctx, tx, e)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
