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
	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Bounds of one execution. It outlives the HTTP request that started it: a reset half sent
// because a browser went away is worse than one finished. Each broker call has its own
// deadline, so one stalled broker cannot use up the others' time.
const (
	executeTimeout = 2 * time.Minute
	callTimeout    = 15 * time.Second
	// finishGrace is how long after executeTimeout a request may stay executing before the
	// sweeper calls it interrupted.
	finishGrace = 2 * time.Minute
)

// Outcome is what an execution did, per queue.
type Outcome struct {
	At     time.Time      `json:"at"`
	Queues []QueueOutcome `json:"queues"`
	// NotAttempted says why nothing was sent for this group and topic of a request of
	// several: its brokers could not be read, or it drifted from its preview.
	NotAttempted string `json:"not_attempted,omitempty"`
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
	// Clients are the group's clients connected to the queue's broker at execution, Owner
	// the one holding the queue when it could be told: verification waits for them.
	Clients []string `json:"clients,omitempty"`
	Owner   string   `json:"owner,omitempty"`
	// Left marks a queue a ToGroup reset leaves as it is, its source group having no
	// committed offset there; its Result is Unchanged and Target its Before.
	Left bool `json:"left,omitempty"`
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
// for good, when the group drifted from the preview beyond the tolerance, the topic's
// queues changed or a broker would now reset differently; otherwise exactly one caller wins
// the move to executing, sets every queue and records the per-queue outcome. Partial
// failure is recorded as such.
func (s *Service) Execute(ctx context.Context, who Who, id string) (Request, error) {
	// From here on the work is not the client's to cancel.
	ctx = context.WithoutCancel(ctx)
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
	if r.Batched() {
		return s.executeBatch(ctx, who, r)
	}
	if r.State == Pending {
		return Request{}, s.refuse(ctx, who, r, "not approved", notExecutable(r))
	}
	if r.State != Approved {
		return Request{}, notExecutable(r)
	}
	frozen, err := s.refuseFrozen(ctx, who, []Request{r})
	if err != nil {
		return Request{}, err
	}
	c, err := s.Cluster(r.Cluster)
	if err != nil {
		return Request{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, executeTimeout)
	snap, err := read(rctx, c, r.Group, r.Topic)
	cancel()
	if err != nil {
		return Request{}, err
	}
	if drift := s.drift(r, snap); drift != "" {
		return Request{}, s.refuseDrift(ctx, who, r, drift)
	}
	// Only one caller gets past here: the move to executing is taken under the row's
	// state and expiry check, and everyone else is told the request moved on.
	now := s.o.Now()
	err = pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		ok, err := setStateWhere(ctx, tx, r.ID, []State{Approved}, Executing, now, "expires_at > $2",
			"executed_at = $2, executed_by = $3, executed_by_name = $4", who.Actor.Subject, displayName(who.Actor))
		if err != nil {
			return err
		}
		if !ok {
			return errMovedOn
		}
		e := s.entry(who, audit.ActionResetStarted, r, audit.Success)
		e.Parameters = entryParams(r, overrideParams(r, frozen))
		e.Before, e.After = stateJSON(Approved), stateJSON(Executing)
		return audit.Append(ctx, tx, e)
	})
	if errors.Is(err, errMovedOn) {
		if err := s.expire(ctx, id); err != nil {
			return Request{}, err
		}
		latest, gerr := s.Get(ctx, id)
		if gerr != nil {
			return Request{}, gerr
		}
		return Request{}, notExecutable(latest)
	}
	if err != nil {
		return Request{}, err
	}
	bctx, cancel := context.WithTimeout(ctx, executeTimeout)
	out := s.apply(bctx, c, r, snap)
	cancel()
	if err := s.finish(ctx, who, r, out); err != nil {
		s.o.Logger.ErrorContext(ctx, "reset executed on the brokers but its outcome was not recorded",
			"reset_id", r.ID, "err", err)
		return Request{}, errcode.Wrap(errcode.Unavailable, err, "The reset was sent to the brokers, but its outcome could not be recorded. "+
			"The request will be marked interrupted; check the group's offsets before doing anything else.")
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
		return errcode.Errorf(errcode.Conflict, "This reset has %d of the %s it needs; it cannot be executed yet.", r.Approvals(), humanize.Plural(r.RequiredApprovals, "approval", "approvals"))
	case Executing, Executed, Partial, Failed, Verified, NotHonoured, Interrupted:
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
		direct := func(ctx context.Context, qp QueuePreview) error {
			return c.Admin.UpdateConsumerOffset(ctx, b.addr, r.Group, r.Topic, qp.QueueID, qp.Target)
		}
		var qs []QueueOutcome
		switch pathOf(b) {
		case PathServer:
			qs = s.perQueue(ctx, b, qps, PathServer, func(ctx context.Context, qp QueuePreview) error {
				return c.Admin.ResetQueueOffset(ctx, b.addr, r.Group, r.Topic, qp.QueueID, qp.Target)
			})
		case PathClient:
			var err error
			qs, err = s.byClients(ctx, c, b, r, qps)
			if errors.Is(err, mqadmin.ErrConsumerNotOnline) {
				// The consumers left since the check: write the approved targets directly.
				qs = s.perQueue(ctx, b, qps, PathDirect, direct)
			}
		default:
			qs = s.perQueue(ctx, b, qps, PathDirect, direct)
		}
		// Who was online, and who held each queue, is what verification waits for.
		var clients []string
		for _, cn := range b.conn.Connections {
			clients = append(clients, cn.ClientID)
		}
		held := owners(ctx, c, b, r.Group, r.Topic)
		for i := range qs {
			qs[i].Clients, qs[i].Owner = clients, held[qs[i].QueueID]
		}
		out.Queues = append(out.Queues, qs...)
	}
	out.At = s.o.Now().UTC()
	return out
}

// perQueue sets each queue that is not at its target already, each call with its own
// deadline. A queue already at its target is left alone: on the server path a reset
// makes online consumers drop what they have pulled, for nothing.
func (s *Service) perQueue(ctx context.Context, b brokerState, qps []QueuePreview, p Path,
	set func(context.Context, QueuePreview) error) []QueueOutcome {
	var out []QueueOutcome
	for _, qp := range qps {
		before := b.committedAt(qp.QueueID)
		qo := QueueOutcome{QueueRef: qp.QueueRef, Path: p, Before: before, Target: qp.Target, Result: Changed}
		if qp.NoSource {
			qo.Target, qo.Result, qo.Left = before, Unchanged, true
			out = append(out, qo)
			continue
		}
		if before == qp.Target {
			qo.Result = Unchanged
			out = append(out, qo)
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		if err := set(cctx, qp); err != nil {
			qo.Result, qo.Error = FailedQ, brokerAnswer(err)
		}
		cancel()
		out = append(out, qo)
	}
	return out
}

// byClients resets through the broker's client path (INVOKE_BROKER_TO_RESET_OFFSET), which
// moves every queue to a time or to latest; the broker answers with the targets it sent.
func (s *Service) byClients(ctx context.Context, c Cluster, b brokerState, r Request, qps []QueuePreview) ([]QueueOutcome, error) {
	req := mqadmin.ResetOffsetRequest{Group: r.Group, Topic: r.Topic, Force: true}
	switch r.Spec.Kind {
	case ToLatest:
		req.ToLatest = true
	case ToTime:
		req.Timestamp = r.Spec.Time
	default: // ToEarliest: the first message stored at or after the epoch
		req.Timestamp = time.UnixMilli(0)
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	targets, err := c.Admin.ResetOffset(cctx, b.addr, req)
	cancel()
	var out []QueueOutcome
	for _, qp := range qps {
		before := b.committedAt(qp.QueueID)
		qo := QueueOutcome{QueueRef: qp.QueueRef, Path: PathClient, Before: before, Target: qp.Target, Result: Handed}
		if err != nil {
			qo.Result, qo.Error = FailedQ, brokerAnswer(err)
		} else if t, ok := targets[mqadmin.MessageQueue{Topic: r.Topic, BrokerName: b.name, QueueID: qp.QueueID}]; ok {
			qo.Target = t
		}
		out = append(out, qo)
	}
	return out, err
}

// finish records the outcome and its audit entry, trying a few times: the brokers have
// been changed, and an outcome lost to a moment's database trouble would leave the request
// interrupted.
func (s *Service) finish(ctx context.Context, who Who, r Request, out Outcome) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * time.Second)
		}
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = s.finishOnce(fctx, who, r, out)
		cancel()
		if err == nil || errors.Is(err, errMovedOn) {
			return err
		}
	}
	return err
}

func (s *Service) finishOnce(ctx context.Context, who Who, r Request, out Outcome) error {
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
		ok, err := setState(ctx, tx, r.ID, []State{Executing}, to, s.o.Now(), "outcome = $3", oj)
		if err != nil {
			return err
		}
		if !ok {
			return errMovedOn // the sweeper called it interrupted first
		}
		e := s.entry(who, audit.ActionResetExecuted, r, outcome)
		before, after := map[string]int64{}, map[string]any{}
		var failed []string
		for _, q := range out.Queues {
			before[q.String()] = q.Before
			a := map[string]any{"target": q.Target, "result": q.Result, "path": q.Path}
			if len(q.Clients) > 0 {
				a["clients"] = strings.Join(q.Clients, ", ")
			}
			if q.Owner != "" {
				a["owner"] = q.Owner
			}
			if q.Left {
				a["left"] = true
			}
			after[q.String()] = a
			if q.Result == FailedQ {
				failed = append(failed, q.String()+": "+q.Error)
			}
		}
		e.Parameters = entryParams(r, map[string]any{"state": to, "counts": counts})
		e.Before, e.After = mustJSON(before), mustJSON(after)
		if len(failed) > 0 {
			e.Error = fmt.Sprintf("%d of %s failed: %s", len(failed), humanize.Plural(len(out.Queues), "queue", "queues"), strings.Join(failed, "; "))
		}
		return audit.Append(ctx, tx, e)
	})
}
