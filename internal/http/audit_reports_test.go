package http

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
)

func TestAuditExportDownloads(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.signIn(t, "auditor") // seq 1
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	hostile := resetEntry(audit.ActionResetRequested, "prod", "payments", "r1", "latest", at)
	hostile.Reason = "=cmd|' /C calc'!A0, \"quoted\"\nsecond line"
	env.appendEntries(t, hostile, resetEntry(audit.ActionResetApproved, "prod", "payments", "r1", "latest", at.Add(time.Hour)),
		resetEntry(audit.ActionResetRequested, "staging", "billing", "r2", "shift", at.Add(2*time.Hour)))
	head, err := audit.ReadHead(t.Context(), env.pool)
	if err != nil {
		t.Fatal(err)
	}

	p := do(t, c, http.MethodGet, env.URL+"/audit/export.csv?cluster=prod", nil, nil)
	if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(p.header.Get("Content-Disposition"), `attachment; filename="lagboard-audit-`) {
		t.Fatalf("CSV download: %d %v", p.status, p.header)
	}
	rows, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !slices.Equal(rows[0], audit.CSVColumns) || rows[1][0] != "2" || rows[2][0] != "3" {
		t.Fatalf("CSV rows %q", rows)
	}
	if reason := rows[1][17]; reason != "'"+hostile.Reason || audit.UnneutraliseCell(reason) != hostile.Reason {
		t.Errorf("hostile reason written as %q", reason)
	}
	if last := rows[3]; last[0] != audit.ChainHeadLabel || last[1] != strconv.FormatInt(head.Seq, 10) || last[2] != head.Hash {
		t.Errorf("chain head row %q, want %+v", last, head)
	}

	p = do(t, c, http.MethodGet, env.URL+"/audit/export.jsonl?action=reset.requested", nil, nil)
	if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("JSONL download: %d %v", p.status, p.header)
	}
	lines := strings.Split(strings.TrimSpace(p.body), "\n")
	var seqs []int64
	for _, l := range lines[:len(lines)-1] {
		var e struct {
			Hash  string `json:"hash"`
			Entry struct {
				Seq    int64  `json:"seq"`
				Reason string `json:"reason"`
			} `json:"entry"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil || len(e.Hash) != 64 {
			t.Fatalf("line %q: %v", l, err)
		}
		seqs = append(seqs, e.Entry.Seq)
	}
	var last struct {
		ChainHead struct {
			Seq  int64
			Hash string
		} `json:"chain_head"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || !slices.Equal(seqs, []int64{2, 4}) ||
		last.ChainHead.Seq != head.Seq || last.ChainHead.Hash != head.Hash {
		t.Fatalf("JSONL entries %v, head %+v (want %+v): %v", seqs, last.ChainHead, head, err)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/audit/export.csv?before=2", nil, nil); p.status != http.StatusBadRequest ||
		p.header.Get("Content-Disposition") != "" {
		t.Errorf("export with a page cursor: %d", p.status)
	}
}

func TestAuditVerifyPage(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.signIn(t, "auditor")
	env.appendEntries(t, resetEntry(audit.ActionResetRequested, "prod", "payments", "r1", "latest", time.Now()))
	head, err := audit.ReadHead(t.Context(), env.pool)
	if err != nil {
		t.Fatal(err)
	}
	anchor := strconv.FormatInt(head.Seq, 10) + ":" + head.Hash
	p := do(t, c, http.MethodGet, env.URL+"/audit/verify", nil, nil)
	if p.status != http.StatusOK || p.testID("chain-intact") == "" || p.testID("head-seq") != strconv.FormatInt(head.Seq, 10) ||
		p.testID("head-hash") != head.Hash || p.testID("head-text") != anchor {
		t.Fatalf("verify page %d: %.500s", p.status, p.body)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/audit/verify?head="+anchor, nil, nil); p.testID("chain-intact") == "" {
		t.Fatalf("the current head as anchor: %.500s", p.body)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/audit/verify?head=12:nothex", nil, nil); p.status != http.StatusBadRequest {
		t.Fatalf("a malformed head: %d", p.status)
	}

	env.superuserExec(t, `UPDATE audit_entry SET reason = 'nothing to see' WHERE seq = 2`)
	p = do(t, c, http.MethodGet, env.URL+"/audit/verify", nil, nil)
	if p.status != http.StatusOK || p.testID("chain-broken") == "" || p.testID("broken-seq") != "2" || p.testID("broken-problem") != "changed" {
		t.Fatalf("tampered chain: %d %.800s", p.status, p.body)
	}
}

func TestAuditTimelinePage(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.signIn(t, "admin") // seq 1
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var es []audit.Entry
	for i := range 55 { // seq 2 to 56: more than a page
		es = append(es, resetEntry(audit.ActionResetRequested, "prod", "payments", "r"+strconv.Itoa(i), "latest", at.Add(time.Duration(i)*time.Minute)))
	}
	es = append(es, resetEntry(audit.ActionResetRequested, "prod", "payments-old", "x", "latest", at)) // seq 57
	env.appendEntries(t, es...)

	p := do(t, c, http.MethodGet, env.URL+"/audit/timeline?cluster=prod&group=payments", nil, nil)
	got := seqsOf(p)
	if p.status != http.StatusOK || len(got) != auditPerPage || got[0] != 2 || got[len(got)-1] != 51 || !slices.IsSorted(got) {
		t.Fatalf("first page %d: %v", p.status, got)
	}
	later, ok := p.doc.Find(`[data-testid="page-later"]`).Attr("href")
	if !ok {
		t.Fatal("no link to later entries")
	}
	p = do(t, c, http.MethodGet, env.URL+later, nil, nil)
	if got := seqsOf(p); !slices.Equal(got, []int64{52, 53, 54, 55, 56}) || p.doc.Find(`[data-testid="page-earlier"]`).Length() != 1 {
		t.Fatalf("second page: %v", got)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/audit/timeline?cluster=prod", nil, nil); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, "give both cluster and group") {
		t.Fatalf("timeline without a group: %d", p.status)
	}
}

func TestAuditSummaryAndReportPages(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.signIn(t, "auditor") // seq 1, now
	jan := func(d, h int) time.Time { return time.Date(2026, 1, d, h, 0, 0, 0, time.UTC) }
	executed := resetEntry(audit.ActionResetExecuted, "prod", "payments", "r1", "latest", jan(5, 12))
	denied := audit.Entry{At: jan(7, 0), Actor: audit.Actor{Subject: "eve"}, Action: audit.ActionAccessDenied, Outcome: audit.Denied}
	env.appendEntries(t,
		resetEntry(audit.ActionResetRequested, "prod", "payments", "r1", "latest", jan(5, 9)),
		resetEntry(audit.ActionResetApproved, "prod", "payments", "r1", "latest", jan(5, 11)),
		executed, denied,
		audit.Entry{At: jan(8, 0), Actor: audit.Actor{Subject: "alice"}, Action: audit.ActionLogin, Outcome: audit.Success})

	p := do(t, c, http.MethodGet, env.URL+"/audit/summary?from=2025-12&to=2026-01", nil, nil)
	months := p.doc.Find(`[data-testid="month"]`)
	if p.status != http.StatusOK || months.Length() != 2 || months.First().AttrOr("data-month", "") != "2026-01" {
		t.Fatalf("summary %d: %d months %.300s", p.status, months.Length(), p.body)
	}
	jm := months.First()
	for id, want := range map[string]string{"executed": "1", "approved": "1", "median-approval": "2 h", "denied": "1",
		"not-honoured": "0", "logins": "1 by 1"} {
		if got := strings.Join(strings.Fields(jm.Find(`[data-testid="`+id+`"]`).Text()), " "); got != want {
			t.Errorf("January %s: %q, want %q", id, got, want)
		}
	}
	if r := jm.Find(`[data-testid="reset-count"]`); r.Length() != 1 || r.AttrOr("data-cluster", "") != "prod" || r.AttrOr("data-kind", "") != "latest" {
		t.Errorf("resets by kind: %d rows", r.Length())
	}
	for q, msg := range map[string]string{"from=2026-13": "is not a month", "from=2026-02&to=2026-01": "is after the last",
		"from=2020-01&to=2026-01": "at most 36 months"} {
		if p := do(t, c, http.MethodGet, env.URL+"/audit/summary?"+q, nil, nil); p.status != http.StatusBadRequest || !strings.Contains(p.body, msg) {
			t.Errorf("%s: %d, want 400 saying %q", q, p.status, msg)
		}
	}

	head, _ := audit.ReadHead(t.Context(), env.pool)
	p = do(t, c, http.MethodGet, env.URL+"/audit/report?from=2026-01-01&to=2026-01-31&cluster=prod", nil, nil)
	if got := seqsOf(p); p.status != http.StatusOK || !slices.Equal(got, []int64{2, 3, 4}) {
		t.Fatalf("report %d: entries %v", p.status, got)
	}
	if h := p.testID("report-head"); h != strconv.FormatInt(head.Seq, 10)+":"+head.Hash {
		t.Errorf("report head %q, want %+v", h, head)
	}
	if f := p.testID("report-filters"); !strings.Contains(f, "cluster prod") || !strings.Contains(f, "from 2026-01-01") {
		t.Errorf("report filters %q", f)
	}
	if p.testID("report-count") != "3" || p.doc.Find(`[data-testid="report-truncated"]`).Length() != 0 {
		t.Errorf("report count %q", p.testID("report-count"))
	}
}
