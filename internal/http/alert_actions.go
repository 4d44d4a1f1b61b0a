package http

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// Limits of a silence.
const (
	maxSilence       = 30 * 24 * time.Hour
	maxSilenceReason = 500
)

// silenceCreate silences the groups two patterns match for a while, with a reason. A wrong
// field shows the alerts page again with the form as it was sent and a message naming the
// field; patterns outside the user's alerts:manage grants get the common 403.
func (s *Server) silenceCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.alertsOn(); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errcode.Errorf(errcode.Invalid, "The form could not be read.")
	}
	f := views.SilenceForm{Clusters: strings.TrimSpace(r.PostForm.Get("clusters")),
		Groups: strings.TrimSpace(r.PostForm.Get("consumer_groups")), Duration: strings.TrimSpace(r.PostForm.Get("duration")),
		Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	d, err := parseSilence(f)
	if err != nil {
		m, merr := s.alertsModel(r)
		if merr != nil {
			return merr
		}
		f.Error = errcode.Message(err)
		m.Silence = f
		s.render(w, r, http.StatusBadRequest, views.AlertsPageView(s.chrome(views.SectionAlerts), m))
		return nil
	}
	if !s.deps.Auth.Visibility(r.Context(), auth.PermManageAlerts).Covers([]string{f.Clusters}, []string{f.Groups}) {
		return s.refuse(r, auth.PermManageAlerts, auth.Scope{}, "the grants of alerts:manage do not hold the silence's patterns "+
			f.Clusters+" and "+f.Groups)
	}
	if _, err := s.deps.Alerts.Silence(r.Context(), s.alertWho(r), f.Clusters, f.Groups, d, f.Reason); err != nil {
		return err
	}
	seeOther(w, r, "/alerts")
	return nil
}

// parseSilence checks a silence form and returns how long it lasts.
func parseSilence(f views.SilenceForm) (time.Duration, error) {
	for _, p := range []struct{ field, v string }{{"clusters", f.Clusters}, {"consumer_groups", f.Groups}} {
		if err := auth.CheckPattern(p.v); err != nil {
			return 0, alert.FieldError(p.field, "pattern %q %v", p.v, err)
		}
	}
	d, err := time.ParseDuration(f.Duration)
	switch {
	case f.Duration == "":
		return 0, alert.FieldError("duration", "is required, such as 2h")
	case err != nil || d < time.Minute:
		return 0, alert.FieldError("duration", "%q is not a duration of a minute or more, such as 30m or 2h", f.Duration)
	case d > maxSilence:
		return 0, alert.FieldError("duration", "must be at most 720h (30 days)")
	case f.Reason == "":
		return 0, alert.FieldError("reason", "is required: say why, for whoever wonders where the alerts went")
	case utf8.RuneCountInString(f.Reason) > maxSilenceReason:
		return 0, alert.FieldError("reason", "is longer than %d characters", maxSilenceReason)
	}
	return d, nil
}

// silenceEnd ends a silence early, for those whose grants hold its patterns.
func (s *Server) silenceEnd(w http.ResponseWriter, r *http.Request) error {
	if err := s.alertsOn(); err != nil {
		return err
	}
	id, err := alert.ParseID(chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	err = s.deps.Alerts.EndSilence(r.Context(), s.alertWho(r), id, func(si storage.AlertSilence) error {
		if s.deps.Auth.Visibility(r.Context(), auth.PermManageAlerts).Covers([]string{si.ClusterPattern}, []string{si.GroupPattern}) {
			return nil
		}
		return s.refuse(r, auth.PermManageAlerts, auth.Scope{}, "the grants of alerts:manage do not hold the silence's patterns")
	})
	if err != nil {
		return err
	}
	seeOther(w, r, "/alerts")
	return nil
}

// alertAck acknowledges a rule's firing alert about the route's group: it is not repeated
// until what triggers it changes. The route's scope is the group, checked by protect.
func (s *Server) alertAck(w http.ResponseWriter, r *http.Request) error {
	if err := s.alertsOn(); err != nil {
		return err
	}
	id, err := alert.ParseID(chi.URLParam(r, "rule"))
	if err != nil {
		return err
	}
	cluster, group := chi.URLParam(r, "cluster"), chi.URLParam(r, "group")
	if err := s.deps.Alerts.Ack(r.Context(), s.alertWho(r), id, cluster, group); err != nil {
		return err
	}
	back := views.GroupHref(cluster, group)
	if rt := r.PostFormValue("return_to"); rt != "" {
		back = auth.SafeReturnTo(rt)
	}
	seeOther(w, r, back)
	return nil
}

// notificationRetry puts a given-up notification back in the queue, for those who may
// manage alerts on its group.
func (s *Server) notificationRetry(w http.ResponseWriter, r *http.Request) error {
	if err := s.alertsOn(); err != nil {
		return err
	}
	id, err := alert.ParseID(chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	err = s.deps.Alerts.Retry(r.Context(), s.alertWho(r), id, func(n storage.OutboxRow) error {
		scope := auth.Scope{Cluster: n.Cluster, Group: n.Group}
		if s.deps.Auth.Allowed(r.Context(), auth.PermManageAlerts, scope) {
			return nil
		}
		return s.refuse(r, auth.PermManageAlerts, scope, "no grant gives alerts:manage on "+scope.String())
	})
	if err != nil {
		return err
	}
	seeOther(w, r, "/alerts")
	return nil
}
