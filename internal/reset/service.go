package reset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/freeze"
)

// Defaults of Options.
const (
	DefaultExpiry         = 24 * time.Hour
	DefaultDriftTolerance = 1000
	DefaultVerifyWindow   = time.Minute
	DefaultVerifyEvery    = time.Second
	DefaultVerifySettle   = 15 * time.Second
)

// ApprovalRule requires Count approvals for requests on the clusters and groups its glob
// patterns match. The first matching rule wins; without one a request needs one approval.
type ApprovalRule struct {
	Cluster string
	Group   string
	Count   int
}

// Options configure a Service.
type Options struct {
	Pool     *pgxpool.Pool
	Clusters []Cluster
	Logger   *slog.Logger
	// Expiry is how long a request may wait for approval and execution.
	Expiry time.Duration
	// DriftTolerance is how many messages a queue's committed offset may have moved since
	// the preview before execution is refused; 0 allows no movement at all
	// (DefaultDriftTolerance is what the configuration defaults to).
	DriftTolerance int64
	// Approvals say how many approvals requests need, per cluster and group pattern.
	Approvals []ApprovalRule
	// VerifyWindow is how long after execution the verifier keeps watching a queue whose
	// broker had clients of the group online, unless a commit shows that a client holding
	// the queue took the reset sooner: until then a client may still commit the offset it
	// had (rocketmq-client-go learns of a server-side reset at its next pull, up to 20 s
	// later, then commits what it had every 5 s for 10 s before it commits the new offset;
	// a rebalance, every 20 s, may hand the queue to another client). At twice the window
	// the verifier decides on what it sees. VerifyEvery is how often it looks.
	VerifyWindow time.Duration
	VerifyEvery  time.Duration
	// VerifySettle is how long every queue must have kept its target before a request is
	// verified.
	VerifySettle time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Freezes says which change-freeze windows are in force; nil when there are none.
	Freezes Freezes
}

// Freezes is what the workflow needs of the change-freeze windows (*freeze.Service).
type Freezes interface {
	InForce(ctx context.Context, cluster, group string, at time.Time) (freeze.State, error)
}

// Service runs the reset workflow.
type Service struct {
	o        Options
	clusters map[string]Cluster
}

// New returns a Service; zero options take their defaults.
func New(o Options) *Service {
	if o.Expiry <= 0 {
		o.Expiry = DefaultExpiry
	}
	if o.VerifyWindow <= 0 {
		o.VerifyWindow = DefaultVerifyWindow
	}
	if o.VerifyEvery <= 0 {
		o.VerifyEvery = DefaultVerifyEvery
	}
	if o.VerifySettle <= 0 {
		o.VerifySettle = DefaultVerifySettle
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{o: o, clusters: map[string]Cluster{}}
	for _, c := range o.Clusters {
		s.clusters[c.Name] = c
	}
	return s
}

// Who is the person acting, as the HTTP layer knows them.
type Who struct {
	Actor   audit.Actor
	Session string // a hash of the session id
	// SourceIP, UserAgent and RequestID are the request's origin for the audit trail.
	SourceIP, UserAgent, RequestID string
	// May reports whether the person holds a permission within a scope under the current
	// access policy.
	May func(perm auth.Permission, scope auth.Scope) bool
}

func (w Who) may(perm auth.Permission, cluster, group string) bool {
	return w.May != nil && w.May(perm, auth.Scope{Cluster: cluster, Group: group})
}

// Cluster returns the named cluster.
func (s *Service) Cluster(name string) (Cluster, error) {
	c, ok := s.clusters[name]
	if !ok {
		return Cluster{}, errcode.Errorf(errcode.NotFound, "There is no cluster %q.", name)
	}
	return c, nil
}

// Approvals returns how many approvals a request on the cluster and group needs.
func (s *Service) Approvals(cluster, group string) int {
	for _, r := range s.o.Approvals {
		c, _ := path.Match(r.Cluster, cluster)
		g, _ := path.Match(r.Group, group)
		if c && g {
			return r.Count
		}
	}
	return 1
}

// Preview computes what spec would do, for the request form; it stores nothing.
func (s *Service) Preview(ctx context.Context, who Who, spec Spec) (Preview, error) {
	if !who.may(auth.PermRequestReset, spec.Cluster, spec.Group) {
		return Preview{}, errForbidden
	}
	if spec.Kind == ToGroup && !who.may(auth.PermViewDashboard, spec.Cluster, spec.Source) {
		return Preview{}, errForbidden // copying offsets shows them: the source must be readable
	}
	c, err := s.Cluster(spec.Cluster)
	if err != nil {
		return Preview{}, err
	}
	return MakePreview(ctx, c, spec, s.o.Now())
}

var errForbidden = errcode.Errorf(errcode.Forbidden, "You may not do this on this consumer group. If you need to, ask a Lagboard administrator.")

// Create requests a reset: it checks that the cluster, the topic and the group exist,
// computes the preview, freezes it into a new pending request and writes reset.requested,
// in one transaction.
func (s *Service) Create(ctx context.Context, who Who, spec Spec, reason, ticket string) (Request, error) {
	rs, err := s.create(ctx, who, []Spec{spec}, reason, ticket)
	if err != nil {
		return Request{}, err
	}
	return rs[0], nil
}

// create requests a reset of each spec as one request: a row per spec, with its preview
// frozen, all inserted with their reset.requested entries in one transaction. Several specs
// share a batch id, the first row's.
func (s *Service) create(ctx context.Context, who Who, specs []Spec, reason, ticket string) ([]Request, error) {
	reason, ticket = strings.TrimSpace(reason), strings.TrimSpace(ticket)
	switch {
	case reason == "":
		return nil, errcode.Errorf(errcode.Invalid, "Say why the offsets must move: the reason is required.")
	case utf8.RuneCountInString(reason) > maxReason:
		return nil, errcode.Errorf(errcode.Invalid, "The reason is longer than %d characters.", maxReason)
	case utf8.RuneCountInString(ticket) > maxTicket:
		return nil, errcode.Errorf(errcode.Invalid, "The ticket reference is longer than %d characters.", maxTicket)
	}
	many := len(specs) > 1
	previews := make([]Preview, len(specs))
	required := 0
	for i := range specs {
		p, err := s.prepare(ctx, who, &specs[i])
		if err != nil {
			if many {
				return nil, itemErr(specs[i], err)
			}
			return nil, err
		}
		previews[i] = p
		required = max(required, s.Approvals(specs[i].Cluster, specs[i].Group))
	}
	now := s.o.Now()
	rs := make([]Request, len(specs))
	for i, spec := range specs {
		rs[i] = Request{
			ID: audit.NewID(), Cluster: spec.Cluster, Group: spec.Group, Topic: spec.Topic, Spec: spec,
			Reason: reason, Ticket: ticket, Preview: previews[i], RequiredApprovals: required,
			State: Pending, RequestedBy: who.Actor.Subject, RequestedByName: displayName(who.Actor),
			RequestedAt: now, ExpiresAt: now.Add(s.o.Expiry), UpdatedAt: now,
		}
		if many {
			rs[i].BatchID, rs[i].BatchIndex, rs[i].BatchSize = rs[0].ID, i, len(specs)
		}
	}
	err := pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		for _, r := range rs {
			if err := insertRequest(ctx, tx, r); err != nil {
				return err
			}
			e := s.entry(who, audit.ActionResetRequested, r, audit.Success)
			e.Reason = reason
			e.Parameters = entryParams(r, map[string]any{"target": r.Spec.Describe(),
				"params": paramsOf(r.Spec), "ticket": ticket, "required_approvals": r.RequiredApprovals, "expires_at": r.ExpiresAt.UTC()})
			e.After = mustJSON(previewDigest(r.Preview))
			if err := audit.Append(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errOpen) {
		var open []string
		for _, spec := range specs {
			if id, _ := openRequest(ctx, s.o.Pool, spec.Cluster, spec.Group, spec.Topic); id != "" {
				open = append(open, fmt.Sprintf("%s already has an open reset request on %s (/resets/%s)", spec.Group, spec.Topic, id))
			}
		}
		if len(open) == 0 { // closed meanwhile
			open = append(open, "Another reset request of the same group and topic was open")
		}
		return nil, &errcode.Error{Code: errcode.Conflict, Err: err, Message: strings.Join(open, "; ") +
			". Finish or cancel it, let it expire, or wait for its verification first."}
	}
	if err != nil {
		return nil, err
	}
	return rs, nil
}

// prepare checks a spec as a request of who (valid, allowed, on a cluster, topic and group
// that exist) and computes its preview, refusing one that cannot be carried out as asked.
func (s *Service) prepare(ctx context.Context, who Who, spec *Spec) (Preview, error) {
	if err := spec.Check(s.o.Now()); err != nil {
		return Preview{}, err
	}
	if !who.may(auth.PermRequestReset, spec.Cluster, spec.Group) {
		return Preview{}, errForbidden
	}
	if spec.Kind == ToGroup && !who.may(auth.PermViewDashboard, spec.Cluster, spec.Source) {
		return Preview{}, errForbidden
	}
	c, err := s.Cluster(spec.Cluster)
	if err != nil {
		return Preview{}, err
	}
	if err := s.knownGroup(ctx, c, *spec); err != nil {
		return Preview{}, err
	}
	p, err := s.Preview(ctx, who, *spec)
	if err != nil {
		return Preview{}, err
	}
	if w, blocked := p.Blocked(); blocked {
		return Preview{}, errcode.Errorf(errcode.Invalid, "This reset cannot be carried out as asked. %s", w.Text)
	}
	return p, nil
}

// Get returns a request with its decisions.
func (s *Service) Get(ctx context.Context, id string) (Request, error) {
	return getRequest(ctx, s.o.Pool, id, false)
}

// Decide records an approver's approval or rejection. Approvers may not decide their own
// requests, decide twice, or decide outside their scope; a request with enough approvals
// becomes approved, and one rejection rejects it.
func (s *Service) Decide(ctx context.Context, who Who, id string, approve bool, comment string) (Request, error) {
	comment = strings.TrimSpace(comment)
	action := audit.ActionResetRejected
	if approve {
		action = audit.ActionResetApproved
	}
	if utf8.RuneCountInString(comment) > maxComment {
		return Request{}, errcode.Errorf(errcode.Invalid, "The comment is longer than %d characters.", maxComment)
	}
	if !approve && comment == "" {
		return Request{}, errcode.Errorf(errcode.Invalid, "Say why you reject the request: the comment is required.")
	}
	return s.transition(ctx, who, id, action, func(tx pgx.Tx, r *Request, now time.Time) (*audit.Entry, error) {
		switch {
		case !who.may(auth.PermApproveReset, r.Cluster, r.Group):
			return nil, denied("not an approver of this cluster and group")
		case r.RequestedBy == who.Actor.Subject:
			return nil, denied("self-approval")
		case r.State != Pending:
			return nil, errcode.Errorf(errcode.Conflict, "This request is %s; only requests waiting for approval can be approved or rejected.", strings.ToLower(r.State.Label()))
		case r.DecidedBy(who.Actor.Subject):
			return nil, errcode.Errorf(errcode.Conflict, "You have already decided on this request.")
		}
		d := Decision{Actor: who.Actor.Subject, ActorName: displayName(who.Actor), Approved: approve, Comment: comment, At: now}
		if err := insertDecision(ctx, tx, r.ID, d); err != nil {
			return nil, err
		}
		r.Decisions = append(r.Decisions, d)
		to := Pending
		switch {
		case !approve:
			to = Rejected
		case r.Approvals() >= r.RequiredApprovals:
			to = Approved
		}
		if to != Pending {
			set, args := "", []any{}
			if to == Rejected {
				set, args = "closed_by = $3, closed_by_name = $4, closed_at = $2, close_comment = $5", []any{d.Actor, d.ActorName, comment}
			}
			if _, err := setState(ctx, tx, r.ID, []State{Pending}, to, now, set, args...); err != nil {
				return nil, err
			}
		}
		before := r.State
		r.State = to
		act := action
		if approve && r.OverrideAt != nil {
			act = audit.ActionResetOverrideApproved
		}
		e := s.entry(who, act, *r, audit.Success)
		e.Reason = comment
		e.Parameters = entryParams(*r, map[string]any{"approvals": r.Approvals(),
			"required_approvals": r.RequiredApprovals, "requested_at": r.RequestedAt.UTC()})
		e.Before, e.After = stateJSON(before), stateJSON(to)
		return &e, nil
	})
}

// Cancel withdraws a request that has not been executed; only its requester may.
func (s *Service) Cancel(ctx context.Context, who Who, id, comment string) (Request, error) {
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > maxComment {
		return Request{}, errcode.Errorf(errcode.Invalid, "The comment is longer than %d characters.", maxComment)
	}
	return s.transition(ctx, who, id, audit.ActionResetCancelled, func(tx pgx.Tx, r *Request, now time.Time) (*audit.Entry, error) {
		if r.RequestedBy != who.Actor.Subject {
			return nil, denied("only the requester may cancel")
		}
		before := r.State
		ok, err := setState(ctx, tx, r.ID, []State{Pending, Approved}, Cancelled, now,
			"closed_by = $3, closed_by_name = $4, closed_at = $2, close_comment = $5", who.Actor.Subject, displayName(who.Actor), comment)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errcode.Errorf(errcode.Conflict, "This request is %s and can no longer be cancelled.", strings.ToLower(r.State.Label()))
		}
		r.State = Cancelled
		e := s.entry(who, audit.ActionResetCancelled, *r, audit.Success)
		e.Reason = comment
		e.Before, e.After = stateJSON(before), stateJSON(Cancelled)
		return &e, nil
	})
}

// denial is a refusal by the workflow's rules; it is written to the audit trail as a
// denied attempt.
type denial struct{ reason string }

func (d *denial) Error() string { return "denied: " + d.reason }

func denied(reason string) error { return &denial{reason: reason} }

// transition runs f on the request, locked, in one transaction with the audit entry f
// returns; on a request of several groups, on each of them in turn, all in that one
// transaction. A request past its expiry is expired first. A denial rolls back and is
// written to the audit trail as a denied attempt of action, on the group it concerns, in a
// transaction of its own.
func (s *Service) transition(ctx context.Context, who Who, id string, action audit.Action,
	f func(tx pgx.Tx, r *Request, now time.Time) (*audit.Entry, error)) (Request, error) {
	if err := s.expire(ctx, id); err != nil {
		return Request{}, err
	}
	var out Request
	err := pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error {
		items, err := getItems(ctx, tx, id, true)
		if err != nil {
			return err
		}
		now := s.o.Now()
		var entries []audit.Entry
		for i := range items {
			out = items[i]
			e, err := f(tx, &items[i], now)
			if err != nil {
				return err
			}
			entries = append(entries, *e)
		}
		for _, e := range entries {
			if err := audit.Append(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	var d *denial
	if errors.As(err, &d) {
		e := s.entry(who, action, out, audit.Denied)
		e.Error = d.reason
		e.Parameters = entryParams(out, nil)
		if werr := pgx.BeginFunc(ctx, s.o.Pool, func(tx pgx.Tx) error { return audit.Append(ctx, tx, e) }); werr != nil {
			s.o.Logger.ErrorContext(ctx, "reset refused; audit entry not written", "err", werr, "reset_id", id, "reason", d.reason)
		}
		return Request{}, &errcode.Error{Code: errcode.Forbidden, Err: err, Message: deniedMessage(d.reason)}
	}
	if err != nil {
		return Request{}, err
	}
	return s.Get(ctx, id)
}

func deniedMessage(reason string) string {
	switch reason {
	case "self-approval":
		return "You requested this reset; someone else must approve it."
	case "only the requester may cancel":
		return "Only the person who requested this reset may cancel it."
	case "not approved":
		return "This reset has not been approved yet."
	}
	return errForbidden.Message
}

// entry is an audit entry of action on r by who.
func (s *Service) entry(who Who, action audit.Action, r Request, outcome audit.Outcome) audit.Entry {
	e := audit.Entry{
		At: s.o.Now(), Actor: who.Actor, Session: who.Session, SourceIP: who.SourceIP, UserAgent: who.UserAgent,
		RequestID: who.RequestID, Action: action, Outcome: outcome,
		Target:     audit.Target{Cluster: r.Cluster, Group: r.Group, Topic: r.Topic, Queues: paramsOf(r.Spec).Queues},
		Parameters: entryParams(r, nil),
	}
	return e
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

// entryParams are an audit entry's parameters: the request's id and kind, which request of
// several groups it belongs to, and more.
func entryParams(r Request, more map[string]any) []byte {
	m := map[string]any{"reset_id": r.ID, "kind": r.Spec.Kind}
	if r.BatchID != "" {
		m["batch_id"], m["batch_index"], m["batch_size"] = r.BatchID, r.BatchIndex, r.BatchSize
	}
	for k, v := range more {
		m[k] = v
	}
	return mustJSON(m)
}

func stateJSON(s State) []byte { return mustJSON(map[string]State{"state": s}) }

func mustJSON(v any) []byte {
	b, err := audit.JSON(v)
	if err != nil {
		panic(fmt.Sprintf("reset: encode %T: %v", v, err)) // only plain values are encoded
	}
	return b
}

// previewDigest is what the audit trail keeps of a preview: per queue current and target.
func previewDigest(p Preview) map[string]any {
	queues := map[string]any{}
	for _, q := range p.Queues {
		d := map[string]any{"current": q.Current, "min": q.Min, "max": q.Max, "target": q.Target}
		if q.NoSource {
			d["left"] = true // the source group has no offset here
		}
		queues[q.String()] = d
	}
	var warnings []string
	for _, w := range p.Warnings {
		warnings = append(warnings, w.Code)
	}
	return map[string]any{"at": p.At, "queues": queues, "totals": p.Totals, "warnings": warnings}
}
