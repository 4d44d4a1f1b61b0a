package http

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// repeatDefault is what the rule form says a rule without a repeat interval repeats at.
func (s *Server) repeatDefault() time.Duration {
	if s.deps.AlertRepeat > 0 {
		return s.deps.AlertRepeat
	}
	return alert.DefaultRepeat
}

// ruleNew shows an empty rule form: the statuses that need someone, a webhook.
func (s *Server) ruleNew(w http.ResponseWriter, r *http.Request) error {
	if err := s.alertsOn(); err != nil {
		return err
	}
	in := alert.RuleInput{Enabled: true, Statuses: []string{"STALL", "STOP", "OFFLINE"}, ReceiverKind: alert.Webhook}
	s.renderRuleForm(w, r, http.StatusOK, nil, in, "")
	return nil
}

// ruleCreate stores a new rule. A wrong field shows the form again with a message naming it;
// patterns outside the user's alerts:manage grants get the common 403.
func (s *Server) ruleCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.alertsOn(); err != nil {
		return err
	}
	in, err := postedRule(r)
	if err != nil {
		return err
	}
	rule, err := in.Parse(nil)
	if err != nil {
		s.renderRuleForm(w, r, http.StatusBadRequest, nil, in, errcode.Message(err))
		return nil
	}
	if err := s.mayManageRule(r, rule); err != nil {
		return err
	}
	if _, err := s.deps.Alerts.CreateRule(r.Context(), s.alertWho(r), rule); err != nil {
		return s.ruleRefused(w, r, nil, in, err)
	}
	seeOther(w, r, "/alerts")
	return nil
}

// ruleEdit shows a stored rule's form, to those whose grants hold its patterns.
func (s *Server) ruleEdit(w http.ResponseWriter, r *http.Request) error {
	stored, err := s.storedRule(r)
	if err != nil {
		return err
	}
	if err := s.mayManageRule(r, stored); err != nil {
		return err
	}
	s.renderRuleForm(w, r, http.StatusOK, &stored, alert.InputOf(stored), "")
	return nil
}

// ruleUpdate saves a stored rule's form. The user must hold both the patterns the rule had
// and those it gets; a rule changed by someone else since the form was read is refused.
func (s *Server) ruleUpdate(w http.ResponseWriter, r *http.Request) error {
	stored, err := s.storedRule(r)
	if err != nil {
		return err
	}
	in, err := postedRule(r)
	if err != nil {
		return err
	}
	rule, err := in.Parse(&stored)
	if err != nil {
		s.renderRuleForm(w, r, http.StatusBadRequest, &stored, in, errcode.Message(err))
		return nil
	}
	if err := s.mayManageRule(r, stored); err != nil {
		return err
	}
	if err := s.mayManageRule(r, rule); err != nil {
		return err
	}
	readAt, err := time.Parse(time.RFC3339Nano, r.PostForm.Get("read_at"))
	if err != nil {
		readAt = time.Time{} // compares unequal: the form is shown again with the rule as it is now
	}
	rule.ID = stored.ID
	if err := s.deps.Alerts.UpdateRule(r.Context(), s.alertWho(r), rule, readAt); err != nil {
		return s.ruleRefused(w, r, &stored, in, err)
	}
	seeOther(w, r, "/alerts")
	return nil
}

// ruleDelete deletes a stored rule, resolving its firing alerts at their receivers.
func (s *Server) ruleDelete(w http.ResponseWriter, r *http.Request) error {
	stored, err := s.storedRule(r)
	if err != nil {
		return err
	}
	if err := s.mayManageRule(r, stored); err != nil {
		return err
	}
	if err := s.deps.Alerts.DeleteRule(r.Context(), s.alertWho(r), stored.ID); err != nil {
		return err
	}
	seeOther(w, r, "/alerts")
	return nil
}

// storedRule reads the rule of the route's {id}.
func (s *Server) storedRule(r *http.Request) (storage.AlertRule, error) {
	if err := s.alertsOn(); err != nil {
		return storage.AlertRule{}, err
	}
	id, err := alert.ParseID(chi.URLParam(r, "id"))
	if err != nil {
		return storage.AlertRule{}, err
	}
	return s.deps.Alerts.Rule(r.Context(), id)
}

// postedRule reads a posted rule form.
func postedRule(r *http.Request) (alert.RuleInput, error) {
	if err := r.ParseForm(); err != nil {
		return alert.RuleInput{}, errcode.Errorf(errcode.Invalid, "The form could not be read.")
	}
	return alert.RuleInputFrom(r.PostForm), nil
}

// mayManageRule refuses, with the common 403, a rule whose patterns the user's
// alerts:manage grants do not hold whole.
func (s *Server) mayManageRule(r *http.Request, rule storage.AlertRule) error {
	if s.deps.Auth.Visibility(r.Context(), auth.PermManageAlerts).Covers(rule.Clusters, rule.Groups) {
		return nil
	}
	return s.refuse(r, auth.PermManageAlerts, auth.Scope{}, "the grants of alerts:manage do not hold the rule's patterns clusters "+
		strings.Join(rule.Clusters, ",")+" and groups "+strings.Join(rule.Groups, ","))
}

// ruleRefused shows the form again for a refusal the user can fix (a name taken, a rule
// changed meanwhile), and passes other errors on.
func (s *Server) ruleRefused(w http.ResponseWriter, r *http.Request, stored *storage.AlertRule, in alert.RuleInput, err error) error {
	code := errcode.Code(err)
	if code != errcode.Invalid && code != errcode.Conflict {
		return err
	}
	if code == errcode.Conflict && stored != nil {
		// Show the rule as it is now, with what the user sent lost: they decide again.
		now, rerr := s.deps.Alerts.Rule(r.Context(), stored.ID)
		if rerr != nil {
			return rerr
		}
		stored, in = &now, alert.InputOf(now)
	}
	s.renderRuleForm(w, r, statusOf(code), stored, in, errcode.Message(err))
	return nil
}

// renderRuleForm shows the rule form with in's values; stored is the rule being edited.
func (s *Server) renderRuleForm(w http.ResponseWriter, r *http.Request, status int, stored *storage.AlertRule, in alert.RuleInput, msg string) {
	m := views.RuleFormPage{Action: "/alerts/rules", Title: "New alert rule", Error: msg, Form: views.RuleForm{
		Name: in.Name, Enabled: in.Enabled, Clusters: in.Clusters, Groups: in.Groups, Expired: in.Expired,
		LagMessages: in.LagMessages, LagTime: in.LagTime, DrainWithin: in.DrainWithin, Hold: in.Hold, Repeat: in.Repeat,
		ReceiverURL: in.ReceiverURL, DefaultRepeat: alert.ShortDuration(s.repeatDefault()),
	}}
	for _, st := range alert.Statuses {
		m.Form.Statuses = append(m.Form.Statuses, views.Choice{Value: st, Label: st, Checked: slices.Contains(in.Statuses, st)})
	}
	labels := map[string]string{alert.Webhook: "JSON webhook, signed", alert.Slack: "Slack-compatible incoming webhook",
		alert.Alertmanager: "Prometheus Alertmanager (v2 API)"}
	for _, k := range alert.ReceiverKinds {
		m.Form.ReceiverKinds = append(m.Form.ReceiverKinds, views.Choice{Value: k, Label: labels[k], Checked: k == in.ReceiverKind})
	}
	if stored != nil {
		m.Action, m.DeleteHref, m.Title = ruleHref(stored.ID), ruleHref(stored.ID)+"/delete", "Alert rule "+stored.Name
		m.Form.SecretSet = stored.ReceiverKind == alert.Webhook && stored.ReceiverSecret != ""
		m.Form.ReadAt = stored.UpdatedAt.Format(time.RFC3339Nano)
		at := stored.UpdatedAt
		m.Form.UpdatedBy, m.Form.UpdatedAt = stored.UpdatedBy, &at
	}
	s.render(w, r, status, views.RuleFormView(s.chrome(views.SectionAlerts), m))
}
