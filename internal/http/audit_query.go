package http

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/views"
)

// auditActionPattern is what an action filter may be: an action, or a prefix ending in a
// dot; the same alphabet as the table's check.
var auditActionPattern = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z_]*)*$`)

// auditTimeLayouts are the forms a from or to time may take, all in UTC.
var auditTimeLayouts = []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// maxFilterText bounds free-text filters.
const maxFilterText = 200

// parseAuditQuery reads the filters and page cursor of the audit pages' query string; a
// value that cannot be is an error that says which and how to fix it.
func parseAuditQuery(v url.Values) (views.AuditQuery, audit.Filter, audit.Page, error) {
	q := views.AuditQuery{
		From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
		Actor: strings.TrimSpace(v.Get("actor")), Action: strings.TrimSpace(v.Get("action")),
		Cluster: strings.TrimSpace(v.Get("cluster")), Group: strings.TrimSpace(v.Get("group")),
		Outcome: v.Get("outcome"),
	}
	f := audit.Filter{Actor: q.Actor, Action: q.Action, Cluster: q.Cluster, Group: q.Group, Outcome: audit.Outcome(q.Outcome)}
	var p audit.Page
	var err error
	if f.From, err = parseAuditTime("from", q.From, false); err != nil {
		return q, f, p, err
	}
	if f.To, err = parseAuditTime("to", q.To, true); err != nil {
		return q, f, p, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return q, f, p, errcode.Errorf(errcode.Invalid, "The time range ends (%s) before it starts (%s).", q.To, q.From)
	}
	for name, s := range map[string]string{"actor": q.Actor, "cluster": q.Cluster, "group": q.Group} {
		if len(s) > maxFilterText {
			return q, f, p, errcode.Errorf(errcode.Invalid, "The %s filter is longer than %d characters.", name, maxFilterText)
		}
	}
	if q.Action != "" && (len(q.Action) > 64 || !auditActionPattern.MatchString(q.Action)) {
		return q, f, p, errcode.Errorf(errcode.Invalid,
			"The action %q is not an action such as reset.approved, or a prefix ending in a dot such as reset.", q.Action)
	}
	if q.Outcome != "" && !slices.Contains([]audit.Outcome{audit.Success, audit.Failure, audit.Denied}, f.Outcome) {
		return q, f, p, errcode.Errorf(errcode.Invalid, "The outcome must be success, failure or denied, not %q.", q.Outcome)
	}
	if q.Before, err = parseSeq(v, "before"); err != nil {
		return q, f, p, err
	}
	if q.After, err = parseSeq(v, "after"); err != nil {
		return q, f, p, err
	}
	if q.Before > 0 && q.After > 0 {
		return q, f, p, errcode.Errorf(errcode.Invalid, "A page is either before or after an entry, not both.")
	}
	return q, f, audit.Page{Before: q.Before, After: q.After, Limit: auditPerPage}, nil
}

// parseAuditTime reads a from or to time. A date alone means the whole day: from its start,
// to its end.
func parseAuditTime(name, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for i, layout := range auditTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			if i == 0 && end {
				t = t.AddDate(0, 0, 1)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, errcode.Errorf(errcode.Invalid,
		"The %q time %q is not a date such as 2026-11-21 or a UTC time such as 2026-11-21T08:30.", name, s)
}

// parseSeq reads a page cursor: an entry's sequence number.
func parseSeq(v url.Values, name string) (int64, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, errcode.Errorf(errcode.Invalid, "The %s cursor must be an entry's sequence number, from 1.", name)
	}
	return n, nil
}

// auditRows shapes entries for the pages.
func auditRows(es []audit.Entry) []views.AuditRow {
	out := make([]views.AuditRow, len(es))
	for i, e := range es {
		r := views.AuditRow{
			Seq: e.Seq, ID: e.ID, At: e.At, Actor: e.Actor.Name, Groups: e.Actor.Groups,
			Action: string(e.Action), Outcome: string(e.Outcome), Queues: e.Target.Queues,
			Reason: e.Reason, Error: e.Error, Parameters: string(e.Parameters), Before: string(e.Before), After: string(e.After),
			SourceIP: e.SourceIP, UserAgent: e.UserAgent, RequestID: e.RequestID, Session: e.Session,
			PrevHash: e.PrevHash, Hash: e.Hash,
		}
		var detail []string
		if r.Actor == "" {
			r.Actor = e.Actor.Subject
		} else {
			detail = append(detail, e.Actor.Subject)
		}
		if e.Actor.Email != "" {
			detail = append(detail, e.Actor.Email)
		}
		r.ActorDetail = strings.Join(detail, " · ")
		var target []string
		for _, t := range []string{e.Target.Cluster, e.Target.Group, e.Target.Topic} {
			if t != "" {
				target = append(target, t)
			}
		}
		r.Target = strings.Join(target, " / ")
		if e.Target.Cluster != "" && e.Target.Group != "" {
			r.TimelineHref = timelineURL(e.Target.Cluster, e.Target.Group, 0, 0)
		}
		out[i] = r
	}
	return out
}

// timelineURL is the timeline of a group, from its start or around a cursor.
func timelineURL(cluster, group string, before, after int64) string {
	v := url.Values{"cluster": {cluster}, "group": {group}}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	if after > 0 {
		v.Set("after", strconv.FormatInt(after, 10))
	}
	return "/audit/timeline?" + v.Encode()
}
