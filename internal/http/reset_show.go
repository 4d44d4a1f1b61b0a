package http

import (
	"net/http"
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
	if err := s.resetReader(r); err != nil {
		return err
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	id := chi.URLParam(r, "id")
	req, err := s.deps.Resets.Get(ctx, id)
	if err != nil {
		return err
	}
	scope := auth.Scope{Cluster: req.Cluster, Group: req.Group}
	if !s.deps.Auth.Allowed(r.Context(), auth.PermViewDashboard, scope) {
		return s.refuse(r, auth.PermViewDashboard, scope, "the reset request's group is outside the user's grants")
	}
	events, err := s.deps.Resets.Timeline(ctx, req.ID)
	if err != nil {
		return err
	}
	m := s.resetPage(r, req, events, time.Now())
	if isHTMX(r) {
		s.render(w, r, http.StatusOK, views.ResetLive(m))
		return nil
	}
	s.render(w, r, http.StatusOK, views.ResetPageView(s.chrome(views.SectionResets), m))
	return nil
}

// resetPage shapes a request for its page, with the actions the viewer may take.
func (s *Server) resetPage(r *http.Request, req reset.Request, events []reset.Event, now time.Time) views.ResetPage {
	m := views.ResetPage{
		ID: req.ID, Self: views.ResetRequestHref(req.ID), Cluster: req.Cluster, Group: req.Group, Topic: req.Topic,
		GroupHref: views.GroupHref(req.Cluster, req.Group), Kind: req.Spec.Kind.Label(), Target: req.Spec.Describe(), TargetAt: targetAt(req.Spec),
		Scope: scopeText(req.Spec), Reason: req.Reason, Ticket: req.Ticket, RequestedBy: req.RequestedByName,
		RequestedAt: req.RequestedAt, ExpiresAt: req.ExpiresAt, State: string(req.State), StateLabel: req.State.Label(),
		Live:      req.State == reset.Executing || req.State == reset.Executed || (req.State == reset.Partial && req.VerifiedAt == nil),
		Approvals: req.Approvals(), Required: req.RequiredApprovals, Preview: previewView(req.Preview, req.Spec),
		ExecutedBy: req.ExecutedByName, ExecutedAt: req.ExecutedAt, ClosedAt: req.ClosedAt, CloseComment: req.CloseComment,
	}
	if m.RequestedBy == "" {
		m.RequestedBy = req.RequestedBy
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
	for _, e := range events {
		m.Timeline = append(m.Timeline, views.TimelineItem{At: e.At, Actor: e.Actor, Action: e.Action,
			Outcome: e.Outcome, Reason: e.Reason, Error: e.Error})
	}
	if !m.Overdue {
		m.CanDecide, m.CanExecute, m.CanCancel = s.resetActions(r, req)
	}
	return m
}

// resetActions says which actions to offer the viewer: only a convenience, since the
// service applies the same rules to every action it is sent.
func (s *Server) resetActions(r *http.Request, req reset.Request) (decide, execute, cancel bool) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || p.Identity == nil {
		return false, false, false
	}
	me := p.Identity.Subject
	scope := auth.Scope{Cluster: req.Cluster, Group: req.Group}
	may := func(perm auth.Permission) bool { return s.deps.Auth.Decide(p, perm, scope).Allowed }
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
