package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// errAlertsOff answers every alert route when the server runs without alerting.
var errAlertsOff = errcode.Errorf(errcode.Unavailable, "Alerting is not running on this server.")

// recentNotifications is how many notifications the alerts page lists.
const recentNotifications = 50

func (s *Server) alertsOn() error {
	if s.deps.Alerts == nil || s.deps.Trail == nil {
		return errAlertsOff
	}
	return nil
}

// alerts shows what fires, what could not be delivered, the rules and the silences. Alerts
// and notifications are about groups, and only those of groups the viewer may see are
// listed; rules and silences are configuration, listed for everyone who may open the page
// (receiver URLs as alert.DisplayURL shows them, secrets never). htmx refreshes get the
// live part only.
func (s *Server) alerts(w http.ResponseWriter, r *http.Request) error {
	if err := s.alertsOn(); err != nil {
		return err
	}
	m, err := s.alertsModel(r)
	if err != nil {
		return err
	}
	if isHTMX(r) {
		s.render(w, r, http.StatusOK, views.AlertsLive(m))
		return nil
	}
	s.render(w, r, http.StatusOK, views.AlertsPageView(s.chrome(views.SectionAlerts), m))
	return nil
}

// alertsModel reads the alerts page.
func (s *Server) alertsModel(r *http.Request) (views.AlertsPage, error) {
	ctx, cancel := loadContext(r)
	defer cancel()
	a := s.deps.Auth
	see := a.Visibility(r.Context(), auth.PermViewDashboard)
	manage := a.Visibility(r.Context(), auth.PermManageAlerts)
	now := time.Now()
	m := views.AlertsPage{Every: s.shortestInterval(), Now: now,
		CanManage: a.Allowed(r.Context(), auth.PermManageAlerts, auth.Scope{})}
	firing, err := storage.FiringAlerts(ctx, s.deps.Store)
	if err != nil {
		return m, err
	}
	for _, f := range firing {
		if !see.Group(f.Cluster, f.Group) {
			continue
		}
		m.Firing = append(m.Firing, views.FiringRow{Cluster: f.Cluster, Group: f.Group,
			GroupHref: views.GroupHref(f.Cluster, f.Group), Rule: f.RuleName, Trigger: f.Trigger, Status: f.Health,
			Summary: f.Summary, Since: *f.FiringSince, Notified: f.NotifiedAt != nil, AckedBy: deref(f.AckedBy),
			AckedAt: f.AckedAt, AckHref: ackHref(f.Cluster, f.Group, f.RuleID), CanAck: manage.Group(f.Cluster, f.Group)})
	}
	failing, err := storage.FailingNotifications(ctx, s.deps.Store, recentNotifications)
	if err != nil {
		return m, err
	}
	m.Failing = notificationRows(failing, see, manage)
	recent, err := storage.RecentNotifications(ctx, s.deps.Store, recentNotifications)
	if err != nil {
		return m, err
	}
	m.Recent = notificationRows(recent, see, manage)
	if m.Rules, err = s.ruleRows(ctx, manage); err != nil {
		return m, err
	}
	silences, err := storage.RecentSilences(ctx, s.deps.Store, now.Add(-24*time.Hour), 100)
	if err != nil {
		return m, err
	}
	for _, si := range silences {
		m.Silences = append(m.Silences, views.SilenceRow{ID: si.ID, Clusters: si.ClusterPattern, Groups: si.GroupPattern,
			Reason: si.Reason, By: si.CreatedBy, StartsAt: si.StartsAt, EndsAt: si.EndsAt, EndedAt: si.EndedAt,
			EndedBy: deref(si.EndedBy), Active: si.Active(now), EndHref: "/alerts/silences/" + strconv.FormatInt(si.ID, 10) + "/end",
			CanEnd: manage.Covers([]string{si.ClusterPattern}, []string{si.GroupPattern})})
	}
	return m, nil
}

// ruleRows lists the rules; a rule can be edited by those whose grants hold its patterns.
func (s *Server) ruleRows(ctx context.Context, manage auth.Visibility) ([]views.RuleRow, error) {
	rules, err := s.deps.Alerts.Rules(ctx)
	if err != nil {
		return nil, err
	}
	var out []views.RuleRow
	for _, r := range rules {
		repeat := humanize.Duration(s.repeatDefault()) + " (default)"
		if r.RepeatSeconds != nil {
			repeat = humanize.Duration(time.Duration(*r.RepeatSeconds) * time.Second)
		}
		if r.ReceiverKind == alert.Alertmanager {
			repeat = "by Alertmanager"
		}
		out = append(out, views.RuleRow{ID: r.ID, Name: r.Name, Enabled: r.Enabled, Clusters: strings.Join(r.Clusters, ", "),
			Groups: strings.Join(r.Groups, ", "), Triggers: alert.Triggers(r),
			Receiver: r.ReceiverKind + " " + alert.DisplayURL(r.ReceiverKind, r.ReceiverURL), Repeat: repeat,
			EditHref: ruleHref(r.ID), CanEdit: manage.Covers(r.Clusters, r.Groups), UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt})
	}
	return out, nil
}

// notificationRows shapes the outbox rows about groups the viewer may see.
func notificationRows(rows []storage.OutboxRow, see, manage auth.Visibility) []views.NotificationRow {
	var out []views.NotificationRow
	for _, n := range rows {
		if !see.Group(n.Cluster, n.Group) {
			continue
		}
		out = append(out, views.NotificationRow{ID: n.ID, Key: n.Key, Kind: n.Kind, Rule: n.RuleName, Cluster: n.Cluster,
			Group: n.Group, GroupHref: views.GroupHref(n.Cluster, n.Group),
			Receiver: n.ReceiverKind + " " + alert.DisplayURL(n.ReceiverKind, n.ReceiverURL), State: n.State,
			Attempts: n.Attempts, LastError: deref(n.LastError), CreatedAt: n.CreatedAt, DeliveredAt: n.DeliveredAt,
			LastAttemptAt: n.LastAttemptAt, NextAt: n.NextAt,
			RetryHref: "/alerts/notifications/" + strconv.FormatInt(n.ID, 10) + "/retry",
			CanRetry:  n.State == storage.OutboxGivenUp && manage.Group(n.Cluster, n.Group)})
	}
	return out
}

// shortestInterval is how often the alerts page refreshes: the shortest poll interval.
func (s *Server) shortestInterval() time.Duration {
	every := 10 * time.Second
	for i, c := range s.deps.Watched {
		if i == 0 || c.PollInterval < every {
			every = c.PollInterval
		}
	}
	return every
}

// who is the person making r, for the audit entries of alerting.
func (s *Server) alertWho(r *http.Request) alert.Who {
	p, _ := auth.PrincipalFrom(r.Context())
	return alert.Who{Origin: s.deps.Trail.Origin(r.Context(), p.Identity), Session: s.deps.Auth.SessionHash(r.Context())}
}

func ruleHref(id int64) string { return "/alerts/rules/" + strconv.FormatInt(id, 10) }
