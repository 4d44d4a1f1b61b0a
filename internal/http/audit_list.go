package http

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/views"
)

// auditPerPage is the size of a page of the audit list and of a timeline.
const auditPerPage = 50

// auditReportLimit is the most entries a printable report holds.
const auditReportLimit = audit.MaxPage

// auditActions are the filter's suggestions: every action recorded, and the prefix of the
// reset workflow's.
var auditActions = []string{
	string(audit.ActionLogin), string(audit.ActionLogout), string(audit.ActionLogoutEverywhere),
	string(audit.ActionAccessDenied), string(audit.ActionPolicyReloaded), string(audit.ActionConfigChanged),
	string(audit.ActionArchived),
	"reset.", string(audit.ActionResetRequested), string(audit.ActionResetApproved), string(audit.ActionResetRejected),
	string(audit.ActionResetCancelled), string(audit.ActionResetExpired), string(audit.ActionResetStarted),
	string(audit.ActionResetRefused), string(audit.ActionResetExecuted), string(audit.ActionResetVerified),
	string(audit.ActionResetNotHonoured),
	"message.", string(audit.ActionMessageRead), string(audit.ActionMessageResendStarted), string(audit.ActionMessageResent),
}

// auditList lists the trail, newest first, filtered and paged as the query string says so
// that a URL can be shared. htmx requests (the filter form) get the results only.
func (s *Server) auditList(w http.ResponseWriter, r *http.Request) error {
	q, f, p, err := parseAuditQuery(r.URL.Query())
	if err != nil {
		return err
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	l, err := audit.List(ctx, s.deps.Store, f, p)
	if err != nil {
		return err
	}
	m := views.AuditListPage{
		Query: q, Rows: auditRows(l.Entries), Actions: auditActions,
		Outcomes:  []string{string(audit.Success), string(audit.Failure), string(audit.Denied)},
		CanExport: s.deps.Auth.Allowed(r.Context(), auth.PermExportAudit, auth.Scope{}),
	}
	page := q
	if l.Newer > 0 {
		page.Before, page.After = 0, l.Newer
		m.NewerURL = page.URL()
	}
	if l.Older > 0 {
		page.Before, page.After = l.Older, 0
		m.OlderURL = page.URL()
	}
	if isHTMX(r) {
		// The filter form swaps the entries in as the user types; the address bar follows.
		w.Header().Set("HX-Replace-Url", q.URL())
		s.render(w, r, http.StatusOK, views.AuditResults(m))
		return nil
	}
	s.render(w, r, http.StatusOK, views.AuditListView(s.chrome(views.SectionAudit), m))
	return nil
}

// auditReport is the printable report of the entries that match the filters, oldest
// first, with the chain head of the moment it was made.
func (s *Server) auditReport(w http.ResponseWriter, r *http.Request) error {
	q, f, _, err := parseAuditQuery(r.URL.Query())
	if err != nil {
		return err
	}
	q.Before, q.After = 0, 0
	ctx, cancel := loadContext(r)
	defer cancel()
	head, err := audit.ReadHead(ctx, s.deps.Store)
	if err != nil {
		return err
	}
	// Entries appended after the head was read are left out, so the head covers the report.
	l, err := audit.List(ctx, s.deps.Store, f, audit.Page{Before: head.Seq + 1, Limit: auditReportLimit})
	if err != nil {
		return err
	}
	slices.Reverse(l.Entries)
	p, _ := auth.PrincipalFrom(r.Context())
	m := views.AuditReportPage{
		Query: q, Filters: describeFilters(q), GeneratedAt: time.Now(), GeneratedBy: p.DisplayName(),
		HeadSeq: head.Seq, HeadHash: head.Hash, Rows: auditRows(l.Entries), Truncated: l.Older > 0, Limit: auditReportLimit,
	}
	s.render(w, r, http.StatusOK, views.AuditReportView(s.chrome(views.SectionAudit), m))
	return nil
}

// describeFilters says in words what the report's filters select.
func describeFilters(q views.AuditQuery) []string {
	var out []string
	action := "action "
	if strings.HasSuffix(q.Action, ".") {
		action = "action starts with "
	}
	for _, kv := range [][2]string{{"from ", q.From}, {"until ", q.To}, {"actor contains ", q.Actor}, {action, q.Action},
		{"cluster ", q.Cluster}, {"group ", q.Group}, {"outcome ", q.Outcome}} {
		if kv[1] != "" {
			out = append(out, kv[0]+kv[1])
		}
	}
	return out
}
