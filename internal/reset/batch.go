package reset

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
)

// maxBatch bounds the groups and topics of one request: each is read from the brokers for
// its preview, and approvers must be able to read every preview.
const maxBatch = 20

// CreateBatch requests one reset of several groups or topics of a cluster, each with the
// same kind and target: one preview per (group, topic), frozen together, approved once and
// executed one after the other, each with its own outcome and verification. Exact offsets
// and chosen queues belong to one topic's queues, so every spec covers all its queues.
func (s *Service) CreateBatch(ctx context.Context, who Who, specs []Spec, reason, ticket string) ([]Request, error) {
	invalid := func(format string, args ...any) ([]Request, error) {
		return nil, errcode.Errorf(errcode.Invalid, format, args...)
	}
	switch {
	case len(specs) < 2:
		return invalid("A request of several groups needs at least two groups or topics.")
	case len(specs) > maxBatch:
		return invalid("%d groups and topics were given; one request may cover at most %d.", len(specs), maxBatch)
	}
	seen := map[[2]string]bool{}
	for _, sp := range specs {
		switch {
		case sp.Cluster != specs[0].Cluster:
			return invalid("Every group of one request must be in the same cluster: %s is in %s, %s in %s.",
				specs[0].Group, specs[0].Cluster, sp.Group, sp.Cluster)
		case sp.Kind == ToOffsets || len(sp.Queues) > 0:
			return invalid("Exact offsets and chosen queues apply to one group on one topic; a request of several groups resets every queue of each.")
		case seen[[2]string{sp.Group, sp.Topic}]:
			return invalid("%s on %s is listed twice.", sp.Group, sp.Topic)
		}
		seen[[2]string{sp.Group, sp.Topic}] = true
	}
	return s.create(ctx, who, specs, reason, ticket)
}

// itemErr prefixes an error about one (group, topic) of a request of several with its name.
func itemErr(spec Spec, err error) error {
	var e *errcode.Error
	if !errors.As(err, &e) {
		return err
	}
	return &errcode.Error{Code: e.Code, Err: err, Message: fmt.Sprintf("%s on %s: %s", spec.Group, spec.Topic, e.Message)}
}

// Items returns every (group, topic) of the request r belongs to, in order: r alone for a
// single request.
func (s *Service) Items(ctx context.Context, r Request) ([]Request, error) {
	if !r.Batched() {
		return []Request{r}, nil
	}
	return getItems(ctx, s.o.Pool, r.ID, false)
}

// Overall is the state of a request of several groups, from theirs: the state they share,
// executing while one is, and after execution executed (verifying), verified or not
// honoured when every group was carried out, failed when none was, partial otherwise.
func Overall(items []Request) State {
	same := true
	for _, it := range items {
		same = same && it.State == items[0].State
		if it.State == Executing {
			return Executing
		}
	}
	if same {
		return items[0].State
	}
	done, verifying, notHonoured := 0, false, false
	for _, it := range items {
		switch it.State {
		case Executed:
			done, verifying = done+1, true
		case Verified:
			done++
		case NotHonoured:
			done, notHonoured = done+1, true
		}
	}
	switch {
	case done == 0:
		return Failed
	case done < len(items):
		return Partial
	case verifying:
		return Executed
	case notHonoured:
		return NotHonoured
	}
	return Verified
}

// executeBatch carries out an approved request of several groups: every group must be
// executable by who and approved, then all move to executing at once (exactly one caller
// wins), and each is read, checked for drift and set in turn. A group whose brokers cannot
// be read, or that drifted, is not attempted and says why; the others go ahead.
func (s *Service) executeBatch(ctx context.Context, who Who, r Request) (Request, error) {
	items, err := s.Items(ctx, r)
	if err != nil {
		return Request{}, err
	}
	for _, it := range items {
		if reason := s.mayExecute(who, it); reason != "" {
			return Request{}, s.refuse(ctx, who, it, reason, errcode.Errorf(errcode.Forbidden,
				"Only the person who requested this reset, or one of its approvers, may execute it."))
		}
	}
	for _, it := range items {
		if it.State == Pending {
			return Request{}, s.refuse(ctx, who, it, "not approved", notExecutable(it))
		}
		if it.State != Approved {
			return Request{}, notExecutable(it)
		}
	}
	frozen, err := s.refuseFrozen(ctx, who, items)
	if err != nil {
		return Request{}, err
	}
	c, err := s.Cluster(r.Cluster)
	if err != nil {
		return Request{}, err
	}
	now := s.o.Now()
	err = pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		for _, it := range items {
			ok, err := setStateWhere(ctx, tx, it.ID, []State{Approved}, Executing, now, "expires_at > $2",
				"executed_at = $2, executed_by = $3, executed_by_name = $4", who.Actor.Subject, displayName(who.Actor))
			if err != nil {
				return err
			}
			if !ok {
				return errMovedOn
			}
			e := s.entry(who, audit.ActionResetStarted, it, audit.Success)
			e.Parameters = entryParams(it, overrideParams(it, frozen))
			e.Before, e.After = stateJSON(Approved), stateJSON(Executing)
			if err := audit.Append(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errMovedOn) {
		if err := s.expire(ctx, r.ID); err != nil {
			return Request{}, err
		}
		latest, gerr := s.Get(ctx, r.ID)
		if gerr != nil {
			return Request{}, gerr
		}
		return Request{}, notExecutable(latest)
	}
	if err != nil {
		return Request{}, err
	}
	for _, it := range items {
		if err := s.executeItem(ctx, who, c, it); err != nil {
			s.o.Logger.ErrorContext(ctx, "reset of several groups: an outcome was not recorded", "reset_id", it.ID, "batch_id", r.ID, "err", err)
			return Request{}, errcode.Wrap(errcode.Unavailable, err, fmt.Sprintf("The reset of %s on %s was sent to the brokers, or was about to be, "+
				"but its outcome could not be recorded, and the groups after it were not started. They will be marked interrupted; "+
				"check their offsets before doing anything else.", it.Group, it.Topic))
		}
	}
	return s.Get(ctx, r.ID)
}

// executeItem carries out one (group, topic) of a request of several that is executing.
func (s *Service) executeItem(ctx context.Context, who Who, c Cluster, r Request) error {
	rctx, cancel := context.WithTimeout(ctx, executeTimeout)
	snap, err := read(rctx, c, r.Group, r.Topic)
	cancel()
	if errcode.Code(err) == errcode.NotFound {
		return s.notAttempted(ctx, who, r, Failed, fmt.Sprintf("no name server of cluster %s lists a broker of %s any more: "+
			"its brokers stopped, or the topic was deleted", c.Name, r.Topic), "")
	}
	if err != nil {
		return s.notAttempted(ctx, who, r, Failed, "the brokers could not be read: "+errcode.Message(err), "")
	}
	if drift := s.drift(r, snap); drift != "" {
		return s.notAttempted(ctx, who, r, Refused, "the group drifted from the preview: "+drift, drift)
	}
	bctx, cancel := context.WithTimeout(ctx, executeTimeout)
	out := s.apply(bctx, c, r, snap)
	cancel()
	return s.finish(ctx, who, r, out)
}

// notAttempted ends an executing (group, topic) of a request of several without touching
// its offsets: failed when its brokers could not be read, refused when it drifted (drift
// then says how, as a refusal of a single request does).
func (s *Service) notAttempted(ctx context.Context, who Who, r Request, to State, why, drift string) error {
	out := Outcome{At: s.o.Now().UTC(), NotAttempted: why}
	return pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		set, args := "outcome = $3", []any{mustJSON(out)}
		if to == Refused {
			set = "outcome = $3, closed_by = $4, closed_by_name = $5, closed_at = $2, close_comment = $6"
			args = append(args, who.Actor.Subject, displayName(who.Actor), drift)
		}
		ok, err := setState(ctx, tx, r.ID, []State{Executing}, to, s.o.Now(), set, args...)
		if err != nil {
			return err
		}
		if !ok {
			return errMovedOn // the sweeper called it interrupted first
		}
		action, params := audit.ActionResetExecuted, map[string]any{"state": to, "not_attempted": true}
		if to == Refused {
			action, params["drift_tolerance"] = audit.ActionResetRefused, s.o.DriftTolerance
		}
		e := s.entry(who, action, r, audit.Failure)
		e.Error = "not attempted: " + why
		e.Parameters = entryParams(r, params)
		e.Before, e.After = stateJSON(Executing), stateJSON(to)
		return audit.Append(ctx, tx, e)
	})
}
