package http

import (
	"net/url"
	"strconv"

	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// addTopicDrains puts each topic's time-to-drain estimate under its table.
func addTopicDrains(m *views.GroupPage, drains []storage.TopicDrain) {
	by := map[string]*views.Drain{}
	for _, d := range drains {
		by[d.Topic] = &views.Drain{State: d.State, Seconds: d.Seconds, Reason: d.Reason}
	}
	for i := range m.Topics {
		m.Topics[i].Drain = by[m.Topics[i].Topic]
	}
	if m.Retry != nil {
		m.Retry.Drain = by[m.Retry.Topic]
	}
}

// groupAlerts shapes a group's firing alerts for its page.
func groupAlerts(firing []storage.FiringAlert) []views.GroupAlert {
	var out []views.GroupAlert
	for _, a := range firing {
		out = append(out, views.GroupAlert{Rule: a.RuleName, Trigger: a.Trigger, Summary: a.Summary, Since: *a.FiringSince,
			AckedBy: deref(a.AckedBy), AckedAt: a.AckedAt, AckHref: ackHref(a.Cluster, a.Group, a.RuleID)})
	}
	return out
}

// ackHref is the route that acknowledges a rule's alert about a group.
func ackHref(cluster, group string, rule int64) string {
	return "/clusters/" + url.PathEscape(cluster) + "/groups/" + url.PathEscape(group) + "/alerts/" +
		strconv.FormatInt(rule, 10) + "/ack"
}
