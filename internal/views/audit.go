package views

import (
	"net/url"
	"strconv"
	"time"
)

// AuditQuery is the state of the audit pages that lives in their URL: the filters, shared
// by the list, the printable report and the exports, and the list's page cursor.
type AuditQuery struct {
	// From and To are as typed: a date (2026-11-21) or a UTC time (2026-11-21T08:30).
	From, To       string
	Actor, Action  string
	Cluster, Group string
	Outcome        string
	Before, After  int64
}

// Values encodes the filters, leaving out the empty ones and the page cursor.
func (q AuditQuery) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"from", q.From}, {"to", q.To}, {"actor", q.Actor}, {"action", q.Action},
		{"cluster", q.Cluster}, {"group", q.Group}, {"outcome", q.Outcome}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// With is path with the filters as its query string.
func (q AuditQuery) With(path string) string {
	if e := q.Values().Encode(); e != "" {
		return path + "?" + e
	}
	return path
}

// URL is the audit list with these filters and page cursor.
func (q AuditQuery) URL() string {
	v := q.Values()
	if q.Before > 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	if q.After > 0 {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	if e := v.Encode(); e != "" {
		return "/audit?" + e
	}
	return "/audit"
}

// Filtered reports whether any filter is set.
func (q AuditQuery) Filtered() bool { return len(q.Values()) > 0 }

// AuditRow is one entry as the audit pages show it.
type AuditRow struct {
	Seq int64
	ID  string
	At  time.Time
	// Actor is who acted, by name when known; ActorDetail adds subject and e-mail.
	Actor, ActorDetail string
	Groups             []string
	Action, Outcome    string
	// Target is cluster / group / topic, as far as known; TimelineHref is the timeline of
	// its group, "" without one.
	Target, TimelineHref string
	Queues               []string
	Reason, Error        string
	// Parameters, Before and After are JSON documents as stored, "" when absent.
	Parameters, Before, After string
	SourceIP, UserAgent       string
	RequestID, Session        string
	PrevHash, Hash            string
}

// OutcomeClass is the badge colour of an outcome.
func (r AuditRow) OutcomeClass() string {
	switch r.Outcome {
	case "success":
		return "badge ok"
	case "denied":
		return "badge warn"
	}
	return "badge err"
}

// AuditListPage is the audit trail, filtered, one page of it, newest first.
type AuditListPage struct {
	Query AuditQuery
	Rows  []AuditRow
	// NewerURL and OlderURL are the neighbouring pages, "" at either end.
	NewerURL, OlderURL string
	// CanExport shows the export links to those who may use them.
	CanExport bool
	// Actions and Outcomes are the filters' suggestions.
	Actions, Outcomes []string
}

// AuditVerifyPage is the outcome of verifying the chain.
type AuditVerifyPage struct {
	CheckedAt time.Time
	Entries   int64
	HeadSeq   int64
	HeadHash  string
	// Anchor is the recorded head the auditor asked to check, as typed.
	Anchor string
	// Broken is the first broken entry; nil when the chain is intact.
	Broken *AuditBreak
	// Archived is the archival the chain starts after, nil when it starts at the first
	// entry ever written.
	Archived *AuditArchive
}

// AuditArchive is an archival of the oldest entries, as its audit.archived entry recorded.
type AuditArchive struct {
	FirstSeq, LastSeq int64
	LastHash          string
	Before            time.Time
	File, FileSHA256  string
}

// HeadText is the head as SEQ:HASH, the form `web verify -head` takes.
func (p AuditVerifyPage) HeadText() string {
	return strconv.FormatInt(p.HeadSeq, 10) + ":" + p.HeadHash
}

// AuditBreak is where the chain breaks.
type AuditBreak struct {
	Seq             int64
	ID              string
	Problem, Detail string
}

// AuditTimelinePage is everything that happened to one group, oldest first.
type AuditTimelinePage struct {
	Cluster, Group       string
	Rows                 []AuditRow
	EarlierURL, LaterURL string
}

// AuditSummaryPage is the monthly summary over a range of months (YYYY-MM).
type AuditSummaryPage struct {
	From, To string
	Months   []AuditMonth
}

// AuditMonth is one month's figures, formatted.
type AuditMonth struct {
	// Month is "2026-11"; Label is "November 2026".
	Month, Label string
	Resets       []AuditResetCount
	Executed     int64
	Approved     int64
	// MedianApproval is "" when no reset was approved that month.
	MedianApproval      string
	Denied, NotHonoured int64
	Logins, LoginUsers  int64
	// ListURL lists the month's entries; DeniedURL its denied ones.
	ListURL, DeniedURL string
}

// AuditResetCount is the resets of one kind executed on one cluster in a month.
type AuditResetCount struct {
	Cluster, Kind    string
	Executed, Failed int64
}

// AuditReportPage is a printable report of the entries that match the filters.
type AuditReportPage struct {
	Query AuditQuery
	// Filters describes the filters in words, one per line.
	Filters     []string
	GeneratedAt time.Time
	GeneratedBy string
	HeadSeq     int64
	HeadHash    string
	// Rows are oldest first; Truncated says the oldest matching entries were left out.
	Rows      []AuditRow
	Truncated bool
	Limit     int
}
