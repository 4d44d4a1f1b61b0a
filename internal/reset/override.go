package reset

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/freeze"
)

// Frozen says which change-freeze windows are in force now for the groups of a request
// (its items: the request alone, or every group of a request of several), and until when.
func (s *Service) Frozen(ctx context.Context, items []Request) (freeze.State, error) {
	return s.frozenAt(ctx, items, s.o.Now())
}

func (s *Service) frozenAt(ctx context.Context, items []Request, at time.Time) (freeze.State, error) {
	all := freeze.State{At: at}
	if s.o.Freezes == nil {
		return all, nil
	}
	seen := map[string]bool{}
	for _, it := range items {
		st, err := s.o.Freezes.InForce(ctx, it.Cluster, it.Group, at)
		if err != nil {
			return freeze.State{}, errcode.Wrap(errcode.Unavailable, err,
				"The change-freeze windows could not be read, so no reset is executed now; try again in a moment.")
		}
		for _, a := range st.Active {
			if !seen[a.Window.ID] {
				seen[a.Window.ID] = true
				all.Active = append(all.Active, a)
			}
		}
		if st.Until.After(all.Until) {
			all.Until = st.Until
		}
	}
	return all, nil
}

// refuseFrozen refuses, as a denied execution, a request inside a change freeze without an
// emergency override; it returns nil when none applies, or the override was asked and
// approved. The state says what the execution entry records.
func (s *Service) refuseFrozen(ctx context.Context, who Who, items []Request) (freeze.State, error) {
	st, err := s.frozenAt(ctx, items, s.o.Now())
	if err != nil {
		return st, err
	}
	if !st.Frozen() || items[0].OverrideAt != nil {
		return st, nil
	}
	return st, s.refuse(ctx, who, items[0], "change freeze "+st.Names()+" in force until "+st.Until.UTC().Format(time.RFC3339),
		&errcode.Error{Code: errcode.Conflict, Err: errFrozen, Message: st.Message() +
			" Requests and approvals go on. If this reset cannot wait, whoever may execute it can ask for an emergency override on this page: a stated reason, and one more approval."})
}

var errFrozen = fmt.Errorf("inside a change freeze")

// overrideParams add to a started entry that it ran inside a freeze, by override.
func overrideParams(r Request, st freeze.State) map[string]any {
	if !st.Frozen() {
		return nil
	}
	return map[string]any{"freeze_override": map[string]any{"windows": st.Names(), "until": st.Until.UTC(),
		"reason": r.OverrideReason, "asked_by": r.OverrideBy, "approvals": r.Approvals()}}
}

// Override asks for an emergency override of the change freeze in force on a request: who
// may execute it states why it cannot wait, and the request needs one approval more than it
// did (an approved request waits for it again). Only inside a freeze, once per request,
// before execution; recorded as reset.override_requested, and the approvals that follow as
// reset.override_approved.
func (s *Service) Override(ctx context.Context, who Who, id, reason string) (Request, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Request{}, errcode.Errorf(errcode.Invalid, "Say why this reset cannot wait for the end of the freeze: the reason is required.")
	case utf8.RuneCountInString(reason) > maxReason:
		return Request{}, errcode.Errorf(errcode.Invalid, "The reason is longer than %d characters.", maxReason)
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	items, err := s.Items(ctx, r)
	if err != nil {
		return Request{}, err
	}
	st, err := s.Frozen(ctx, items)
	if err != nil {
		return Request{}, err
	}
	return s.transition(ctx, who, id, audit.ActionResetOverrideRequested, func(tx pgx.Tx, r *Request, now time.Time) (*audit.Entry, error) {
		if why := s.mayExecute(who, *r); why != "" {
			return nil, denied(why)
		}
		switch {
		case r.State != Pending && r.State != Approved:
			return nil, errcode.Errorf(errcode.Conflict, "This request is %s; an override is asked for before execution.", strings.ToLower(r.State.Label()))
		case r.OverrideAt != nil:
			return nil, errcode.Errorf(errcode.Conflict, "%s already asked for an emergency override of this request.", r.OverrideByName)
		case !st.Frozen():
			return nil, errcode.Errorf(errcode.Invalid, "No change freeze applies to this request now: it can be executed as usual once approved.")
		}
		before := r.State
		ok, err := setState(ctx, tx, r.ID, []State{Pending, Approved}, Pending, now,
			"required_approvals = required_approvals + 1, override_reason = $3, override_by = $4, override_by_name = $5, override_at = $2, override_windows = $6",
			reason, who.Actor.Subject, displayName(who.Actor), st.Names())
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errcode.Errorf(errcode.Conflict, "This request moved on meanwhile; reload its page.")
		}
		r.State, r.RequiredApprovals = Pending, r.RequiredApprovals+1
		r.OverrideReason, r.OverrideBy, r.OverrideByName, r.OverrideWindows, r.OverrideAt = reason, who.Actor.Subject, displayName(who.Actor), st.Names(), &now
		e := s.entry(who, audit.ActionResetOverrideRequested, *r, audit.Success)
		e.Reason = reason
		e.Parameters = entryParams(*r, map[string]any{"windows": st.Names(), "until": st.Until.UTC(),
			"approvals": r.Approvals(), "required_approvals": r.RequiredApprovals})
		e.Before, e.After = stateJSON(before), stateJSON(Pending)
		return &e, nil
	})
}
