package reset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// executeTimeout bounds the broker calls of one execution. They outlive the HTTP request
// that started them: a reset half sent because a browser went away is worse than one
// finished.
const executeTimeout = 2 * time.Minute

// Outcome is what an execution did, per queue.
type Outcome struct {
	At     time.Time      `json:"at"`
	Queues []QueueOutcome `json:"queues"`
}

// QueueOutcome is one queue's part of an execution.
type QueueOutcome struct {
	QueueRef
	Path Path `json:"path"`
	// Before is the committed offset read just before, -1 when there was none.
	Before int64 `json:"before"`
	// Target is the offset set, or handed to the clients on the client path.
	Target int64  `json:"target"`
	Result Result `json:"result"`
	Error  string `json:"error,omitempty"`
}

// Result is what happened to one queue.
type Result string

// Results.
const (
	Changed   Result = "changed"   // the offset was set
	Unchanged Result = "unchanged" // the offset was already at its target
	Handed    Result = "handed"    // handed to the online clients, which commit it shortly
	FailedQ   Result = "failed"    // the broker refused; Error says why
)

// Counts returns how many queues ended in each result.
func (o Outcome) Counts() map[Result]int {
	n := map[Result]int{}
	for _, q := range o.Queues {
		n[q.Result]++
	}
	return n
}

// Execute carries out an approved request once. It reads the brokers again and refuses,
// for good, when the group drifted from the preview beyond the tolerance or the topic's
// queues changed; otherwise exactly one caller wins the move to executing, sets every
// queue and records the per-queue outcome. Partial failure is recorded as such.
func (s *Service) Execute(ctx context.Context, who Who, id string) (Request, error) {
	if err := s.expire(ctx, id); err != nil {
		return Request{}, err
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if reason := s.mayExecute(who, r); reason != "" {
		return Request{}, s.refuse(ctx, who, r, reason, errcode.Errorf(errcode.Forbidden,
			"Only the person who requested this reset, or one of its approvers, may execute it."))
	}
	if r.State == Pending {
		return Request{}, s.refuse(ctx, who, r, "not approved", notExecutable(r))
	}
	if r.State != Approved {
		return Request{}, notExecutable(r)
	}
	c, err := s.Cluster(r.Cluster)
	if err != nil {
		return Request{}, err
	}
	snap, err := read(ctx, c, r.Group, r.Topic)
	if err != nil {
		return Request{}, err
	}
	if drift := s.drift(r, snap); drift != "" {
		return Request{}, s.refuseDrift(ctx, who, r, drift)
	}
	// Only one caller gets past here: the move to executing is taken under the row's
	// state check, and everyone else is told the request moved on.
	now := s.o.Now()
	err = pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		ok, err := setState(ctx, tx, r.ID, []State{Approved}, Executing, now,
			"executed_by = $3, executed_by_name = $4, executed_at = $2", who.Actor.Subject, displayName(who.Actor))
		if err != nil {
			return err
		}
		if !ok {
			return errMovedOn
		}
		e := s.entry(who, audit.ActionResetStarted, r, audit.Success)
		e.Before, e.After = stateJSON(Approved), stateJSON(Executing)
		return audit.Append(ctx, tx, e)
	})
	if errors.Is(err, errMovedOn) {
		latest, gerr := s.Get(ctx, id)
		if gerr != nil {
			return Request{}, gerr
		}
		return Request{}, notExecutable(latest)
	}
	if err != nil {
		return Request{}, err
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), executeTimeout)
	defer cancel()
	out := s.apply(bctx, c, r, snap)
	if err := s.finish(bctx, who, r, out); err != nil {
		s.o.Logger.ErrorContext(ctx, "reset executed on the brokers but its outcome was not recorded",
			"reset_id", r.ID, "err", err)
		return Request{}, err
	}
	return s.Get(ctx, id)
}

var errMovedOn = errors.New("the request moved on")

// mayExecute says why who may not execute r, "" when they may: the requester with the
// execute permission, or one of its approvers with the approve permission, in scope.
func (s *Service) mayExecute(who Who, r Request) string {
	switch {
	case r.RequestedBy == who.Actor.Subject && who.may(auth.PermExecuteReset, r.Cluster, r.Group):
		return ""
	case r.ApprovedBy(who.Actor.Subject) && who.may(auth.PermApproveReset, r.Cluster, r.Group):
		return ""
	}
	return "only the requester or an approver of the request may execute it"
}

func notExecutable(r Request) error {
	switch r.State {
	case Pending:
		return errcode.Errorf(errcode.Conflict, "This reset has %d of the %d approvals it needs; it cannot be executed yet.", r.Approvals(), r.RequiredApprovals)
	case Executing, Executed, Partial, Failed, Verified, NotHonoured:
		return errcode.Errorf(errcode.Conflict, "This reset has already been executed (by %s); it runs only once.", r.ExecutedByName)
	}
	return errcode.Errorf(errcode.Conflict, "This request is %s; it cannot be executed.", strings.ToLower(r.State.Label()))
}

// refuse records a denied execution attempt and answers answer.
func (s *Service) refuse(ctx context.Context, who Who, r Request, reason string, answer error) error {
	e := s.entry(who, audit.ActionResetStarted, r, audit.Denied)
	e.Error = reason
	if err := pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error { return audit.Append(ctx, tx, e) }); err != nil {
		s.o.Logger.ErrorContext(ctx, "reset execution refused; audit entry not written", "err", err, "reset_id", r.ID)
	}
	return answer
}

// drift compares the brokers now with the frozen preview; it says what changed, "" when
// the request may go ahead.
func (s *Service) drift(r Request, snap snapshot) string {
	var problems []string
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
		ext, cur, _ := snap.queue(qp.QueueRef)
		was, is := qp.Current, cur
		if was < 0 {
			was = qp.Min
		}
		if is < 0 {
			is = ext.MinOffset
		}
		if d := is - was; d > s.o.DriftTolerance || -d > s.o.DriftTolerance {
			problems = append(problems, fmt.Sprintf("queue %s moved from %d to %d", qp.QueueRef, was, is))
		}
		if qp.Target < ext.MinOffset {
			problems = append(problems, fmt.Sprintf("queue %s no longer holds offset %d (its oldest is now %d)", qp.QueueRef, qp.Target, ext.MinOffset))
		}
		if qp.Target > ext.MaxOffset {
			problems = append(problems, fmt.Sprintf("queue %s ends at %d, before the target %d", qp.QueueRef, ext.MaxOffset, qp.Target))
		}
	}
	for _, b := range snap.brokers {
		if !b.serverSide && b.online > 0 && (r.Spec.Kind == ToOffsets || r.Spec.Kind == Shift || !r.Spec.AllQueues()) {
			problems = append(problems, fmt.Sprintf("consumers are now online on broker %s, which can only hand a reset of every queue to a time to them", b.name))
		}
	}
	return strings.Join(problems, "; ")
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
		e.Parameters = mustJSON(map[string]any{"reset_id": r.ID, "kind": r.Spec.Kind, "drift_tolerance": s.o.DriftTolerance})
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

// apply sets each queue on its broker, by the broker's path.
func (s *Service) apply(ctx context.Context, c Cluster, r Request, snap snapshot) Outcome {
	out := Outcome{}
	for _, b := range snap.brokers {
		var qps []QueuePreview
		for _, qp := range r.Preview.Queues {
			if qp.Broker == b.name {
				qps = append(qps, qp)
			}
		}
		if len(qps) == 0 {
			continue
		}
		switch {
		case b.serverSide:
			out.Queues = append(out.Queues, s.perQueue(ctx, b, r, qps, PathServer, func(qp QueuePreview) error {
				return c.Admin.ResetQueueOffset(ctx, b.addr, r.Group, r.Topic, qp.QueueID, qp.Target)
			})...)
		case b.online > 0:
			out.Queues = append(out.Queues, s.byClients(ctx, c, b, r, qps)...)
		default:
			out.Queues = append(out.Queues, s.perQueue(ctx, b, r, qps, PathDirect, func(qp QueuePreview) error {
				return c.Admin.UpdateConsumerOffset(ctx, b.addr, r.Group, r.Topic, qp.QueueID, qp.Target)
			})...)
		}
	}
	out.At = s.o.Now().UTC()
	return out
}

func (s *Service) perQueue(ctx context.Context, b brokerState, r Request, qps []QueuePreview, p Path, set func(QueuePreview) error) []QueueOutcome {
	var out []QueueOutcome
	for _, qp := range qps {
		before, ok := b.committed[qp.QueueID]
		if !ok {
			before = -1
		}
		qo := QueueOutcome{QueueRef: qp.QueueRef, Path: p, Before: before, Target: qp.Target, Result: Changed}
		if err := set(qp); err != nil {
			qo.Result, qo.Error = FailedQ, rootCause(err).Error()
		} else if before == qp.Target {
			qo.Result = Unchanged
		}
		out = append(out, qo)
	}
	return out
}

// byClients resets through the broker's client path (INVOKE_BROKER_TO_RESET_OFFSET), which
// moves every queue to a time or to latest; the broker answers with the targets it sent.
func (s *Service) byClients(ctx context.Context, c Cluster, b brokerState, r Request, qps []QueuePreview) []QueueOutcome {
	req := mqadmin.ResetOffsetRequest{Group: r.Group, Topic: r.Topic, Force: true}
	switch r.Spec.Kind {
	case ToLatest:
		req.ToLatest = true
	case ToTime:
		req.Timestamp = r.Spec.Time
	default: // ToEarliest: the first message stored at or after the epoch
		req.Timestamp = time.UnixMilli(0)
	}
	targets, err := c.Admin.ResetOffset(ctx, b.addr, req)
	var out []QueueOutcome
	for _, qp := range qps {
		before, ok := b.committed[qp.QueueID]
		if !ok {
			before = -1
		}
		qo := QueueOutcome{QueueRef: qp.QueueRef, Path: PathClient, Before: before, Target: qp.Target, Result: Handed}
		if err != nil {
			qo.Result, qo.Error = FailedQ, rootCause(err).Error()
		} else if t, ok := targets[mqadmin.MessageQueue{Topic: r.Topic, BrokerName: b.name, QueueID: qp.QueueID}]; ok {
			qo.Target = t
		}
		out = append(out, qo)
	}
	return out
}

// finish records the outcome and its audit entry.
func (s *Service) finish(ctx context.Context, who Who, r Request, out Outcome) error {
	counts := out.Counts()
	to, outcome := Executed, audit.Success
	switch {
	case counts[FailedQ] == len(out.Queues):
		to, outcome = Failed, audit.Failure
	case counts[FailedQ] > 0:
		to, outcome = Partial, audit.Failure
	}
	oj, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		if _, err := setState(ctx, tx, r.ID, []State{Executing}, to, s.o.Now(), "outcome = $3", oj); err != nil {
			return err
		}
		e := s.entry(who, audit.ActionResetExecuted, r, outcome)
		before, after := map[string]int64{}, map[string]any{}
		var failed []string
		for _, q := range out.Queues {
			before[q.String()] = q.Before
			after[q.String()] = map[string]any{"target": q.Target, "result": q.Result, "path": q.Path}
			if q.Result == FailedQ {
				failed = append(failed, q.String()+": "+q.Error)
			}
		}
		e.Parameters = mustJSON(map[string]any{"reset_id": r.ID, "kind": r.Spec.Kind, "state": to, "counts": counts})
		e.Before, e.After = mustJSON(before), mustJSON(after)
		if len(failed) > 0 {
			e.Error = fmt.Sprintf("%d of %d queues failed: %s", len(failed), len(out.Queues), strings.Join(failed, "; "))
		}
		return audit.Append(ctx, tx, e)
	})
}
