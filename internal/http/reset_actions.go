package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/views"
)

// resetApprove records the viewer's approval, with an optional comment.
func (s *Server) resetApprove(w http.ResponseWriter, r *http.Request) error {
	return s.resetAction(w, r, func(who reset.Who, id, comment string) error {
		_, err := s.deps.Resets.Decide(r.Context(), who, id, true, comment)
		return err
	})
}

// resetReject records the viewer's rejection, whose comment is required.
func (s *Server) resetReject(w http.ResponseWriter, r *http.Request) error {
	return s.resetAction(w, r, func(who reset.Who, id, comment string) error {
		_, err := s.deps.Resets.Decide(r.Context(), who, id, false, comment)
		return err
	})
}

// resetExecute carries out an approved request; the service decides who may, refuses a
// second execution and a group that drifted from the preview.
func (s *Server) resetExecute(w http.ResponseWriter, r *http.Request) error {
	err := s.resetAction(w, r, func(who reset.Who, id, _ string) error {
		_, err := s.deps.Resets.Execute(r.Context(), who, id)
		return err
	})
	if errcode.Code(err) == errcode.Conflict {
		// Not executed (not approved yet, inside a change freeze, drifted, already run):
		// the request's page says why, with what the viewer can do next.
		return s.showReset(w, r, chi.URLParam(r, "id"), http.StatusConflict, func(m *views.ResetPage) {
			m.ActionError = errcode.Message(err)
		})
	}
	return err
}

// resetOverride asks for an emergency override of the change freeze in force on the
// request. A reason that is missing or too long shows the request's page again with the
// reason as typed and what to fix; other refusals go to the error page.
func (s *Server) resetOverride(w http.ResponseWriter, r *http.Request) error {
	if err := s.resetsOn(); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errcode.Errorf(errcode.Invalid, "The form could not be read.")
	}
	id, reason := chi.URLParam(r, "id"), r.PostForm.Get("reason")
	_, err := s.deps.Resets.Override(r.Context(), s.who(r), id, reason)
	if errcode.Code(err) == errcode.Invalid {
		return s.showReset(w, r, id, http.StatusBadRequest, func(m *views.ResetPage) {
			m.OverrideReason, m.OverrideError = reason, errcode.Message(err)
		})
	}
	if err != nil {
		return err
	}
	seeOther(w, r, views.ResetRequestHref(id))
	return nil
}

// resetCancel withdraws the viewer's own request.
func (s *Server) resetCancel(w http.ResponseWriter, r *http.Request) error {
	return s.resetAction(w, r, func(who reset.Who, id, comment string) error {
		_, err := s.deps.Resets.Cancel(r.Context(), who, id, comment)
		return err
	})
}

// resetAction runs one action on the request of the URL and sends the browser back to its
// page (POST-redirect-GET). Refusals and conflicts go to the error page with the
// service's message, such as a drift refusal asking for a fresh request.
func (s *Server) resetAction(w http.ResponseWriter, r *http.Request, act func(who reset.Who, id, comment string) error) error {
	if err := s.resetsOn(); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errcode.Errorf(errcode.Invalid, "The form could not be read.")
	}
	id := chi.URLParam(r, "id")
	if err := act(s.who(r), id, r.PostForm.Get("comment")); err != nil {
		return err
	}
	seeOther(w, r, views.ResetRequestHref(id))
	return nil
}

// stateFilter is a choice of the list's state filter and the states it covers.
type stateFilter struct {
	value, label string
	states       []reset.State
}

// stateFilterTable is the list's state choices: groups of states first, then each state.
func stateFilterTable() []stateFilter {
	fs := []stateFilter{
		{"open", "open (waiting, approved, executing)", openStates},
		{"done", "executed (any result)", []reset.State{reset.Executed, reset.Partial, reset.Failed, reset.Verified, reset.NotHonoured}},
		{"closed", "closed without execution", []reset.State{reset.Rejected, reset.Cancelled, reset.Expired, reset.Refused}},
	}
	for _, st := range reset.States() {
		fs = append(fs, stateFilter{string(st), st.Label(), []reset.State{st}})
	}
	return fs
}

// stateFilters are the state filter's options.
func stateFilters() []views.Option {
	var out []views.Option
	for _, f := range stateFilterTable() {
		out = append(out, views.Option{Value: f.value, Label: f.label})
	}
	return out
}

// parseResetFilter reads the list's query string: filters, search, sort and page.
func parseResetFilter(v url.Values) (views.ResetFilter, []reset.State, error) {
	f := views.ResetFilter{State: v.Get("state"), Cluster: v.Get("cluster"), Group: v.Get("group"), Topic: v.Get("topic"),
		Search: strings.TrimSpace(v.Get("q")), Sort: v.Get("sort")}
	if _, ok := reset.ListSorts[f.Sort]; f.Sort != "" && !ok {
		return f, nil, errcode.Errorf(errcode.Invalid, "The reset requests cannot be sorted by %q.", f.Sort)
	}
	switch v.Get("dir") {
	case "", "asc":
	case "desc":
		f.Desc = true
	default:
		return f, nil, errcode.Errorf(errcode.Invalid, "The sort direction must be asc or desc.")
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 10_000 {
			return f, nil, errcode.Errorf(errcode.Invalid, "The page must be a number from 1.")
		}
		f.Page = n
	}
	if len(f.Search) > maxFilterText {
		return f, nil, errcode.Errorf(errcode.Invalid, "The search is longer than %d characters.", maxFilterText)
	}
	if f.State == "" {
		return f, nil, nil
	}
	for _, sf := range stateFilterTable() {
		if sf.value == f.State {
			return f, sf.states, nil
		}
	}
	return f, nil, errcode.Errorf(errcode.Invalid, "There is no reset state %q; use open, done, closed or a state such as pending.", f.State)
}
