package http

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/views"
)

// resetShow is a request's page. htmx gets the part that changes (state, decisions,
// actions, outcome, verification, timeline), which polls itself while execution or
// verification runs.
func (s *Server) resetShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.resetsOn(); err != nil {
		return err
	}
	return s.showReset(w, r, chi.URLParam(r, "id"), http.StatusOK, nil)
}

// showReset renders a request's page, or its live part for htmx, with status; change
// adjusts the page first (an action's error and what was typed).
func (s *Server) showReset(w http.ResponseWriter, r *http.Request, id string, status int, change func(*views.ResetPage)) error {
	if err := s.resetReader(r); err != nil {
		return err
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	req, err := s.deps.Resets.Get(ctx, id)
	if err != nil {
		return err
	}
	if req.Batched() && req.ID != req.BatchID {
		// One group of a request of several: the request's page shows them all.
		http.Redirect(w, r, views.ResetRequestHref(req.BatchID), http.StatusSeeOther)
		return nil
	}
	items, err := s.deps.Resets.Items(ctx, req)
	if err != nil {
		return err
	}
	for _, it := range items {
		scope := auth.Scope{Cluster: it.Cluster, Group: it.Group}
		if !s.deps.Auth.Allowed(r.Context(), auth.PermViewDashboard, scope) {
			return s.refuse(r, auth.PermViewDashboard, scope, "the reset request's group is outside the user's grants")
		}
	}
	events, err := s.deps.Resets.Timeline(ctx, req.ID)
	if err != nil {
		return err
	}
	m := s.resetPage(r, items, events, time.Now())
	if open := req.State == reset.Pending || req.State == reset.Approved; open {
		frozen, err := s.deps.Resets.Frozen(ctx, items)
		if err != nil {
			return err
		}
		if frozen.Frozen() {
			m.Freeze = frozen.Message()
			m.CanOverride = req.OverrideAt == nil && !m.Overdue && s.mayExecuteAny(r, items)
		}
	}
	if change != nil {
		change(&m)
	}
	if isHTMX(r) {
		s.render(w, r, status, views.ResetLive(m))
		return nil
	}
	s.render(w, r, status, views.ResetPageView(s.chrome(views.SectionResets), m))
	return nil
}

// mayExecuteAny reports whether the viewer could execute the request once approved: its
// requester with reset:execute, or one of its approvers, on every group. Only what to
// offer: the service decides.
func (s *Server) mayExecuteAny(r *http.Request, items []reset.Request) bool {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || p.Identity == nil {
		return false
	}
	me := p.Identity.Subject
	for _, it := range items {
		scope := auth.Scope{Cluster: it.Cluster, Group: it.Group}
		switch {
		case it.RequestedBy == me && s.deps.Auth.Decide(p, auth.PermExecuteReset, scope).Allowed:
		case it.ApprovedBy(me) && s.deps.Auth.Decide(p, auth.PermApproveReset, scope).Allowed:
		default:
			return false
		}
	}
	return true
}

// resetPage shapes a request for its page, with the actions the viewer may take; items
// are its groups and topics, the request alone when it has one.
func (s *Server) resetPage(r *http.Request, items []reset.Request, events []reset.Event, now time.Time) views.ResetPage {
	req := items[0]
	m := views.ResetPage{
		ID: req.ID, Self: views.ResetRequestHref(req.ID), Cluster: req.Cluster, Group: req.Group, Topic: req.Topic,
		GroupHref: views.GroupHref(req.Cluster, req.Group), Kind: req.Spec.Kind.Label(), Target: req.Spec.Describe(), TargetAt: targetAt(req.Spec),
		Scope: scopeText(req.Spec), Reason: req.Reason, Ticket: req.Ticket, RequestedBy: req.RequestedByName,
		RequestedAt: req.RequestedAt, ExpiresAt: req.ExpiresAt, State: string(req.State), StateLabel: req.State.Label(),
		Live:      live(req),
		Approvals: req.Approvals(), Required: req.RequiredApprovals, Preview: previewView(req.Preview, req.Spec),
		ExecutedBy: req.ExecutedByName, ExecutedAt: req.ExecutedAt, ClosedAt: req.ClosedAt, CloseComment: req.CloseComment,
	}
	if m.RequestedBy == "" {
		m.RequestedBy = req.RequestedBy
	}
	if req.OverrideAt != nil {
		m.Override = &views.ResetOverride{By: req.OverrideByName, Reason: req.OverrideReason, Windows: req.OverrideWindows, At: *req.OverrideAt}
	}
	m.Overdue = (req.State == reset.Pending || req.State == reset.Approved) && !now.Before(req.ExpiresAt)
	if req.ClosedAt != nil {
		m.ClosedBy = closedBy(req)
	}
	for _, d := range req.Decisions {
		by := d.ActorName
		if by == "" {
			by = d.Actor
		}
		m.Decisions = append(m.Decisions, views.ResetDecision{By: by, Approved: d.Approved, Comment: d.Comment, At: d.At})
	}
	if req.Outcome != nil {
		o := outcomeView(*req.Outcome)
		m.Outcome = &o
	}
	if req.Verification != nil {
		v := verificationView(*req.Verification, req.VerifiedAt)
		m.Verification = &v
	}
	batch := len(items) > 1
	for _, e := range events {
		ti := views.TimelineItem{At: e.At, Actor: e.Actor, Action: e.Action, Outcome: e.Outcome, Reason: e.Reason, Error: e.Error}
		if batch {
			ti.About = e.Group + " on " + e.Topic
		}
		m.Timeline = append(m.Timeline, ti)
	}
	if batch {
		overall := reset.Overall(items)
		m.State, m.StateLabel, m.Scope, m.Live = string(overall), overall.Label(), "every queue of each group", false
		for i, it := range items {
			m.Items = append(m.Items, itemView(i, it))
			m.Live = m.Live || live(it)
		}
		m.BatchSummary = batchSummary(overall, items)
	}
	if !m.Overdue {
		m.CanDecide, m.CanExecute, m.CanCancel = s.resetActions(r, items)
	}
	return m
}

// live reports whether a request's page must poll: its execution or verification runs.
func live(r reset.Request) bool {
	return r.State == reset.Executing || ((r.State == reset.Executed || r.State == reset.Partial) && r.VerifiedAt == nil)
}

// batchSummary says how a request of several groups ended when not every group was
// carried out: "Partly executed: 1 of 2 groups reset, 1 not attempted, …".
func batchSummary(overall reset.State, items []reset.Request) string {
	if overall != reset.Partial && overall != reset.Failed {
		return ""
	}
	done, notAttempted, failed := 0, 0, 0
	for _, it := range items {
		switch {
		case it.State == reset.Executed || it.State == reset.Verified || it.State == reset.NotHonoured:
			done++
		case it.Outcome != nil && it.Outcome.NotAttempted != "":
			notAttempted++
		default:
			failed++
		}
	}
	parts := []string{fmt.Sprintf("%d of %d groups reset", done, len(items))}
	if notAttempted > 0 {
		parts = append(parts, fmt.Sprintf("%d not attempted", notAttempted))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed on the brokers", failed))
	}
	lead := "Partly executed"
	if overall == reset.Failed {
		lead = "Failed"
	}
	return lead + ": " + strings.Join(parts, ", ") + ". This request did not succeed as a whole; each group below says what happened to it."
}

// itemView shapes one group and topic of a request of several.
func itemView(i int, it reset.Request) views.ResetItem {
	key := "-" + strconv.Itoa(i)
	v := views.ResetItem{Key: key, Group: it.Group, Topic: it.Topic, GroupHref: views.GroupHref(it.Cluster, it.Group),
		State: string(it.State), StateLabel: it.State.Label(), Preview: previewView(it.Preview, it.Spec)}
	v.Preview.Heading, v.Preview.Key = it.Group+" on "+it.Topic, key
	if it.Outcome != nil {
		o := outcomeView(*it.Outcome)
		v.Outcome, v.NotAttempted = &o, it.Outcome.NotAttempted
	}
	if it.Verification != nil {
		vv := verificationView(*it.Verification, it.VerifiedAt)
		v.Verification = &vv
	}
	return v
}

// resetActions says which actions to offer the viewer: only a convenience, since the
// service applies the same rules to every action it is sent. On a request of several
// groups a permission must hold on each.
func (s *Server) resetActions(r *http.Request, items []reset.Request) (decide, execute, cancel bool) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || p.Identity == nil {
		return false, false, false
	}
	me, req := p.Identity.Subject, items[0]
	may := func(perm auth.Permission) bool {
		for _, it := range items {
			if !s.deps.Auth.Decide(p, perm, auth.Scope{Cluster: it.Cluster, Group: it.Group}).Allowed {
				return false
			}
		}
		return true
	}
	mine := req.RequestedBy == me
	decide = req.State == reset.Pending && !mine && !req.DecidedBy(me) && may(auth.PermApproveReset)
	execute = req.State == reset.Approved &&
		((mine && may(auth.PermExecuteReset)) || (req.ApprovedBy(me) && may(auth.PermApproveReset)))
	cancel = mine && (req.State == reset.Pending || req.State == reset.Approved)
	return decide, execute, cancel
}

// resetList lists the requests the viewer may see, filtered by the query string.
func (s *Server) resetList(w http.ResponseWriter, r *http.Request) error {
	if err := s.resetsOn(); err != nil {
		return err
	}
	if err := s.resetReader(r); err != nil {
		return err
	}
	f, states, err := parseResetFilter(r.URL.Query())
	if err != nil {
		return err
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	page := max(f.Page, 1)
	reqs, err := s.deps.Resets.List(ctx, reset.Filter{States: states, Cluster: f.Cluster, Group: f.Group, Topic: f.Topic,
		Search: f.Search, Sort: f.Sort, Desc: f.Desc, Offset: (page - 1) * resetsPerPage, Limit: resetsPerPage + 1,
		Visible: func(cluster, group string) bool {
			return s.deps.Auth.Allowed(r.Context(), auth.PermViewDashboard, auth.Scope{Cluster: cluster, Group: group})
		}})
	if err != nil {
		return err
	}
	m := views.ResetListPage{Filter: f, States: stateFilters(), CanRequest: s.deps.Auth.Allowed(r.Context(), auth.PermRequestReset, auth.Scope{})}
	if len(reqs) > resetsPerPage {
		reqs, m.More = reqs[:resetsPerPage], true
	}
	for _, c := range s.deps.Watched {
		if s.deps.Auth.Allowed(r.Context(), auth.PermViewDashboard, auth.Scope{Cluster: c.Name}) {
			m.Clusters = append(m.Clusters, c.Name)
		}
	}
	for _, req := range reqs {
		m.Rows = append(m.Rows, listRow(req))
	}
	if isHTMX(r) {
		// The filter form swaps the list in as the user types; the address bar follows, so
		// the view can be shared.
		w.Header().Set("HX-Replace-Url", f.URL())
		s.render(w, r, http.StatusOK, views.ResetResults(m))
		return nil
	}
	s.render(w, r, http.StatusOK, views.ResetListView(s.chrome(views.SectionResets), m))
	return nil
}

// resetsPerPage is the size of a page of the reset list.
const resetsPerPage = 50
