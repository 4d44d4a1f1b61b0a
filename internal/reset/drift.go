package reset

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
)

// drift compares the brokers now with the frozen preview; it says what changed, "" when
// the request may go ahead.
func (s *Service) drift(r Request, snap snapshot) string {
	var problems []string
	far := func(a, b int64) bool { return a-b > s.o.DriftTolerance || b-a > s.o.DriftTolerance }
	now := map[QueueRef]bool{}
	for _, q := range snap.queues() {
		now[q] = true
		if _, was := r.Preview.Queue(q); !was && r.Spec.AllQueues() {
			problems = append(problems, fmt.Sprintf("queue %s is new since the preview", q))
		}
	}
	for _, qp := range r.Preview.Queues {
		if !now[qp.QueueRef] {
			problems = append(problems, fmt.Sprintf("queue %s is gone", qp.QueueRef))
			continue
		}
		if qp.NoSource {
			continue // left as it is, wherever the group is now
		}
		ext, cur, _ := snap.queue(qp.QueueRef)
		was, is := qp.Current, cur
		if was < 0 {
			was = qp.Min
		}
		if is < 0 {
			is = ext.MinOffset
		}
		if far(is, was) {
			problems = append(problems, fmt.Sprintf("queue %s moved from %d to %d", qp.QueueRef, was, is))
		}
		if qp.Target < ext.MinOffset {
			problems = append(problems, fmt.Sprintf("queue %s no longer holds offset %d (its oldest is now %d)", qp.QueueRef, qp.Target, ext.MinOffset))
		}
		if qp.Target > ext.MaxOffset {
			problems = append(problems, fmt.Sprintf("queue %s ends at %d, before the target %d", qp.QueueRef, ext.MaxOffset, qp.Target))
		}
		// Through the clients the broker computes latest and earliest again, at execution.
		if b, _ := snap.broker(qp.Broker); pathOf(b) == PathClient {
			switch {
			case r.Spec.Kind == ToLatest && far(ext.MaxOffset, qp.Target):
				problems = append(problems, fmt.Sprintf("queue %s now ends at %d, not %d: latest would skip more than approved", qp.QueueRef, ext.MaxOffset, qp.Target))
			case r.Spec.Kind == ToEarliest && far(ext.MinOffset, qp.Target):
				problems = append(problems, fmt.Sprintf("queue %s now starts at %d, not %d", qp.QueueRef, ext.MinOffset, qp.Target))
			}
		}
	}
	for _, b := range snap.brokers {
		for _, pb := range r.Preview.Brokers {
			if pb.Name == b.name && pb.Path != pathOf(b) {
				problems = append(problems, fmt.Sprintf("broker %s would now reset %s, not %s as previewed (consumers came or went, or its configuration changed)",
					b.name, pathWords(pathOf(b)), pathWords(pb.Path)))
			}
		}
	}
	return strings.Join(problems, "; ")
}

// pathOf is how a broker carries out a reset now.
func pathOf(b brokerState) Path {
	switch {
	case b.serverSide:
		return PathServer
	case b.online > 0:
		return PathClient
	}
	return PathDirect
}

func pathWords(p Path) string {
	switch p {
	case PathServer:
		return "on the server"
	case PathClient:
		return "through its online clients"
	}
	return "by writing offsets directly"
}

// refuseDrift ends the request as refused, with its audit entry, and answers 409.
func (s *Service) refuseDrift(ctx context.Context, who Who, r Request, drift string) error {
	now := s.o.Now()
	err := pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		ok, err := setState(ctx, tx, r.ID, []State{Approved}, Refused, now,
			"closed_by = $3, closed_by_name = $4, closed_at = $2, close_comment = $5", who.Actor.Subject, displayName(who.Actor), drift)
		if err != nil {
			return err
		}
		if !ok {
			return errMovedOn
		}
		e := s.entry(who, audit.ActionResetRefused, r, audit.Failure)
		e.Error = "the group drifted from the preview: " + drift
		e.Parameters = entryParams(r, map[string]any{"drift_tolerance": s.o.DriftTolerance})
		e.Before, e.After = stateJSON(Approved), stateJSON(Refused)
		return audit.Append(ctx, tx, e)
	})
	if errors.Is(err, errMovedOn) {
		latest, gerr := s.Get(ctx, r.ID)
		if gerr != nil {
			return gerr
		}
		return notExecutable(latest)
	}
	if err != nil {
		return err
	}
	return &errcode.Error{Code: errcode.Conflict, Err: errDrift, Message: fmt.Sprintf(
		"The group has moved since the preview was made (%s; the tolerance is %d messages per queue), so this reset was not executed. Request it again for a fresh preview and approval.",
		drift, s.o.DriftTolerance)}
}

var errDrift = errors.New("drifted from the preview")
