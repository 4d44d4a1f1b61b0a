package http

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/views"
)

// resetPreview computes what the form would do now and stores nothing. htmx gets the
// preview fragment (with the reason there is none, when a field is missing or a broker
// says no, so the page never shows a stale preview); a form posted without scripts gets
// the whole page with the preview under the form.
func (s *Server) resetPreview(w http.ResponseWriter, r *http.Request) error {
	in, err := s.postedResetForm(r)
	if err != nil {
		return err
	}
	var m views.ResetFormPage
	if in.err != nil {
		m.PreviewNote = errcode.Message(in.err)
	} else if in.batch() {
		ctx, cancel := loadContext(r)
		defer cancel()
		if err := s.batchPreviews(ctx, r, in, &m); err != nil {
			return err
		}
	} else {
		ctx, cancel := loadContext(r)
		defer cancel()
		p, err := s.deps.Resets.Preview(ctx, s.who(r), in.spec)
		switch code := errcode.Code(err); {
		case err == nil:
			pv := previewView(p, in.spec)
			m.Preview = &pv
		case code == errcode.Forbidden || code == errcode.Internal:
			return err
		default:
			m.PreviewNote = "No preview: " + errcode.Message(err)
		}
	}
	if isHTMX(r) {
		s.render(w, r, http.StatusOK, views.ResetPreviewFragment(m))
		return nil
	}
	full, err := s.resetFormModel(r, in)
	if err != nil {
		return err
	}
	full.Preview, full.Previews, full.PreviewNote = m.Preview, m.Previews, m.PreviewNote
	s.render(w, r, http.StatusOK, views.ResetNewView(s.formChrome(), full))
	return nil
}

// resetCreate requests the reset: the service freezes its preview into a pending request.
// Success goes to the request's page. A wrong field, or a group that already has an open
// request on the topic (409, with a link to it), shows the form again as it was sent.
func (s *Server) resetCreate(w http.ResponseWriter, r *http.Request) error {
	in, err := s.postedResetForm(r)
	if err != nil {
		return err
	}
	err = in.err
	if err == nil && in.batch() {
		var reqs []reset.Request
		if reqs, err = s.deps.Resets.CreateBatch(r.Context(), s.who(r), in.specs, in.form.Reason, in.form.Ticket); err == nil {
			seeOther(w, r, views.ResetRequestHref(reqs[0].ID))
			return nil
		}
	} else if err == nil {
		var req reset.Request
		if req, err = s.deps.Resets.Create(r.Context(), s.who(r), in.spec, in.form.Reason, in.form.Ticket); err == nil {
			seeOther(w, r, views.ResetRequestHref(req.ID))
			return nil
		}
	}
	code := errcode.Code(err)
	if code == errcode.Forbidden || code == errcode.Internal {
		return err
	}
	m, ferr := s.resetFormModel(r, in)
	if ferr != nil {
		return ferr
	}
	m.Error = errcode.Message(err)
	for _, spec := range in.specs {
		if code != errcode.Conflict || m.OpenHref != "" {
			break
		}
		open, lerr := s.deps.Resets.List(r.Context(), reset.Filter{States: openStates, Cluster: spec.Cluster,
			Group: spec.Group, Topic: spec.Topic, Limit: 1})
		if lerr != nil {
			return lerr
		}
		if len(open) > 0 {
			m.OpenHref = views.ResetRequestHref(open[0].ID)
		}
	}
	if isHTMX(r) {
		s.render(w, r, statusOf(code), views.ResetFormFragment(m))
		return nil
	}
	s.render(w, r, statusOf(code), views.ResetNewView(s.formChrome(), m))
	return nil
}

// openStates are the states of a request that blocks another on its group and topic.
var openStates = []reset.State{reset.Pending, reset.Approved, reset.Executing}

// seeOther ends a POST on another page: a 303 for browsers, HX-Redirect for htmx.
func seeOther(w http.ResponseWriter, r *http.Request, target string) {
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// postedResetForm reads a posted request form once the workflow is on and the user may
// request resets on the form's cluster and group.
func (s *Server) postedResetForm(r *http.Request) (resetInput, error) {
	if err := s.resetsOn(); err != nil {
		return resetInput{}, err
	}
	if err := r.ParseForm(); err != nil {
		return resetInput{}, errcode.Errorf(errcode.Invalid, "The form could not be read.")
	}
	in := parseResetForm(r.PostForm)
	if err := s.mayRequest(r, in.form.Cluster, in.form.Group); err != nil {
		return in, err
	}
	for _, spec := range in.specs {
		if err := s.mayRequest(r, spec.Cluster, spec.Group); err != nil {
			return in, err
		}
	}
	return in, s.mayReadSource(r, in.spec)
}

// batchPreviews fills m with the preview of each group and topic of a request of several;
// one that cannot be previewed is named in PreviewNote, and the request cannot be made.
func (s *Server) batchPreviews(ctx context.Context, r *http.Request, in resetInput, m *views.ResetFormPage) error {
	var notes []string
	for i, spec := range in.specs {
		p, err := s.deps.Resets.Preview(ctx, s.who(r), spec)
		switch code := errcode.Code(err); {
		case err == nil:
			pv := previewView(p, spec)
			pv.Heading, pv.Key = spec.Group+" on "+spec.Topic, "-"+strconv.Itoa(i)
			m.Previews = append(m.Previews, pv)
		case code == errcode.Forbidden || code == errcode.Internal:
			return err
		default:
			notes = append(notes, fmt.Sprintf("No preview of %s on %s: %s", spec.Group, spec.Topic, errcode.Message(err)))
		}
	}
	m.PreviewNote = strings.Join(notes, " ")
	return nil
}

// mayReadSource refuses, with the common 403, a copy of offsets from a group the user may
// not read: the preview would show them.
func (s *Server) mayReadSource(r *http.Request, spec reset.Spec) error {
	if spec.Kind != reset.ToGroup || spec.Source == "" {
		return nil
	}
	scope := auth.Scope{Cluster: spec.Cluster, Group: spec.Source}
	if !s.deps.Auth.Allowed(r.Context(), auth.PermViewDashboard, scope) {
		return s.refuse(r, auth.PermViewDashboard, scope, "copying offsets from a group outside the user's dashboard:view grants")
	}
	return nil
}
