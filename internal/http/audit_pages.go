package http

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/views"
)

// verifyTimeout bounds a verification from the page: it reads the whole chain.
const verifyTimeout = 5 * time.Minute

// maxSummaryMonths is the longest range the monthly summary covers at once.
const maxSummaryMonths = 36

// auditVerify walks the chain and shows the first broken entry, or the head to record.
// ?head=SEQ:HASH also checks a head recorded earlier, as `web verify -head` does.
func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request) error {
	anchor := strings.TrimSpace(r.URL.Query().Get("head"))
	var anchors []audit.Head
	if anchor != "" {
		h, err := audit.ParseHead(anchor)
		if err != nil {
			return errcode.Errorf(errcode.Invalid, "The recorded head %q is not SEQ:HASH, e.g. 42: followed by 64 hex digits.", anchor)
		}
		anchors = append(anchors, h)
	}
	ctx, cancel := context.WithTimeout(r.Context(), verifyTimeout)
	defer cancel()
	rep, err := audit.Verify(ctx, s.deps.Store, anchors...)
	if err != nil {
		return err
	}
	m := views.AuditVerifyPage{CheckedAt: time.Now(), Entries: rep.Entries, HeadSeq: rep.Head.Seq, HeadHash: rep.Head.Hash, Anchor: anchor}
	if b := rep.Broken; b != nil {
		m.Broken = &views.AuditBreak{Seq: b.Seq, ID: b.ID, Problem: string(b.Problem), Detail: b.Detail}
	}
	if a := rep.Archived; a != nil {
		m.Archived = &views.AuditArchive{FirstSeq: a.FirstSeq, LastSeq: a.LastSeq, LastHash: a.LastHash, Before: a.Before,
			File: a.File, FileSHA256: a.FileSHA256}
	}
	s.render(w, r, http.StatusOK, views.AuditVerifyView(s.chrome(views.SectionAudit), m))
	return nil
}

// auditTimeline shows everything that happened to one consumer group, oldest first.
func (s *Server) auditTimeline(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	cluster, group := strings.TrimSpace(v.Get("cluster")), strings.TrimSpace(v.Get("group"))
	if cluster == "" || group == "" {
		return errcode.Errorf(errcode.Invalid, "A timeline is of one consumer group: give both cluster and group.")
	}
	if len(cluster) > maxFilterText || len(group) > maxFilterText {
		return errcode.Errorf(errcode.Invalid, "The cluster or group name is longer than %d characters.", maxFilterText)
	}
	before, err := parseSeq(v, "before")
	if err != nil {
		return err
	}
	after, err := parseSeq(v, "after")
	if err != nil {
		return err
	}
	if before > 0 && after > 0 {
		return errcode.Errorf(errcode.Invalid, "A page is either before or after an entry, not both.")
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	l, err := audit.Timeline(ctx, s.deps.Store, cluster, group, audit.Page{Before: before, After: after, Limit: auditPerPage})
	if err != nil {
		return err
	}
	m := views.AuditTimelinePage{Cluster: cluster, Group: group, Rows: auditRows(l.Entries)}
	if l.Older > 0 {
		m.EarlierURL = timelineURL(cluster, group, l.Older, 0)
	}
	if l.Newer > 0 {
		m.LaterURL = timelineURL(cluster, group, 0, l.Newer)
	}
	s.render(w, r, http.StatusOK, views.AuditTimelineView(s.chrome(views.SectionAudit), m))
	return nil
}

// auditSummary shows the monthly figures of a range of months (?from=YYYY-MM&to=YYYY-MM),
// by default the last six, newest first.
func (s *Server) auditSummary(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	now := time.Now().UTC()
	to, err := parseMonth("to", v.Get("to"), now)
	if err != nil {
		return err
	}
	from, err := parseMonth("from", v.Get("from"), to.AddDate(0, -5, 0))
	if err != nil {
		return err
	}
	if from.After(to) {
		return errcode.Errorf(errcode.Invalid, "The first month (%s) is after the last (%s).", from.Format("2006-01"), to.Format("2006-01"))
	}
	if from.AddDate(0, maxSummaryMonths, 0).Before(to.AddDate(0, 1, 0)) {
		return errcode.Errorf(errcode.Invalid, "The summary covers at most %d months at once.", maxSummaryMonths)
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	months, err := audit.MonthlySummary(ctx, s.deps.Store, from, to)
	if err != nil {
		return err
	}
	m := views.AuditSummaryPage{From: from.Format("2006-01"), To: to.Format("2006-01")}
	for i := len(months) - 1; i >= 0; i-- {
		mo := months[i]
		q := views.AuditQuery{From: mo.Start.Format("2006-01-02"), To: mo.Start.AddDate(0, 1, -1).Format("2006-01-02")}
		am := views.AuditMonth{
			Month: mo.Start.Format("2006-01"), Label: mo.Start.Format("January 2006"), Executed: mo.ExecutedResets(),
			Approved: mo.Approved, Denied: mo.Denied, NotHonoured: mo.NotHonoured, Logins: mo.Logins, LoginUsers: mo.LoginUsers,
			ListURL: q.With("/audit"),
		}
		q.Outcome = string(audit.Denied)
		am.DeniedURL = q.With("/audit")
		if mo.Approved > 0 {
			am.MedianApproval = humanize.Duration(mo.MedianApproval)
		}
		for _, rc := range mo.Resets {
			am.Resets = append(am.Resets, views.AuditResetCount{Cluster: rc.Cluster, Kind: rc.Kind, Executed: rc.Executed, Failed: rc.Failed})
		}
		m.Months = append(m.Months, am)
	}
	s.render(w, r, http.StatusOK, views.AuditSummaryView(s.chrome(views.SectionAudit), m))
	return nil
}

// parseMonth reads YYYY-MM; empty is def's month.
func parseMonth(name, s string, def time.Time) (time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Date(def.Year(), def.Month(), 1, 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.ParseInLocation("2006-01", s, time.UTC)
	if err != nil {
		return time.Time{}, errcode.Errorf(errcode.Invalid, "The %q month %q is not a month such as 2026-11.", name, s)
	}
	return t, nil
}
