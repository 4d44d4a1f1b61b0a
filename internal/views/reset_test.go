package views

import (
	"strings"
	"testing"
	"time"
)

func TestResetPreviewMarksClampedAndBlocking(t *testing.T) {
	p := ResetPreview{At: time.Now(), Blocked: true,
		Rows: []PreviewRow{
			{Broker: "b1", QueueID: 0, Current: "1,200", Min: "1,000", Max: "5,000", Requested: "900", Target: "1,000", Clamped: true, Change: "−200", Reconsume: "200", Skip: "0"},
			{Broker: "b1", QueueID: 1, Current: "none", Min: "0", Max: "10", Requested: "0", Target: "0", Change: "0", Reconsume: "0", Skip: "0"},
		},
		Totals:   PreviewTotals{Queues: 2, Changed: 2, Clamped: 1, Reconsume: "200", Skip: "0"},
		Warnings: []ResetWarning{{Code: "client_path", Text: "Stop the consumers.", Blocking: true}, {Code: "clamped", Text: "1 of 2 queues clamped."}},
	}
	doc := render(t, ResetPreviewFragment(ResetFormPage{Preview: &p}))
	rows := doc.Find(`[data-testid="preview-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d rows", rows.Length())
	}
	if got := rows.Eq(0).Find(`[data-testid="clamped"]`).Text(); !strings.Contains(got, "clamped from 900") {
		t.Errorf("clamped queue shows %q", got)
	}
	if rows.Eq(1).Find(`[data-testid="clamped"]`).Length() != 0 {
		t.Error("a queue within its range is marked clamped")
	}
	if got := rows.Eq(1).Find(`[data-testid="current"]`).Text(); got != "none" {
		t.Errorf("a queue without a commit shows %q", got)
	}
	blocking := doc.Find(`[data-testid="warning"][data-blocking="true"]`)
	if blocking.Length() != 1 || blocking.AttrOr("role", "") != "alert" {
		t.Errorf("blocking warnings: %d, role %q", blocking.Length(), blocking.AttrOr("role", ""))
	}
	if _, disabled := doc.Find(`[data-testid="submit-reset"]`).Attr("disabled"); !disabled {
		t.Error("submit is enabled despite a blocking warning")
	}
	if got := doc.Find(`[data-testid="total-reconsume"]`).Text(); got != "200" {
		t.Errorf("total re-consumed %q", got)
	}
}

func TestResetPageShowsPartialFailureAsSuch(t *testing.T) {
	now := time.Now()
	m := ResetPage{ID: "x", Self: "/resets/x", State: "partial", StateLabel: "Partly executed", Approvals: 1, Required: 1,
		Outcome: &ResetOutcome{At: now, Changed: 1, Failed: 1, Rows: []OutcomeRow{
			{Queue: "b1/0", Path: "direct", Before: "5", Target: "0", Result: "changed"},
			{Queue: "b2/0", Path: "direct", Before: "5", Target: "0", Result: "failed", Error: "broker b2 refused: SYSTEM_BUSY"},
		}},
		Timeline: []TimelineItem{{At: now, Actor: "Otto", Action: "reset.executed", Outcome: "failure", Error: "1 of 2 queues failed"}},
	}
	doc := render(t, ResetLive(m))
	if doc.Find(`[data-testid="partial"]`).Length() != 1 {
		t.Error("a partial execution is not called out")
	}
	if got := doc.Find(`[data-testid="outcome-row"][data-result="failed"] [data-testid="outcome-error"]`).Text(); !strings.Contains(got, "SYSTEM_BUSY") {
		t.Errorf("the broker's error is not shown: %q", got)
	}
	if doc.Find(`[data-testid="actions"]`).Length() != 0 {
		t.Error("actions are shown to someone who may take none")
	}
	if _, polls := doc.Find(`[data-testid="reset-live"]`).Attr("hx-trigger"); polls {
		t.Error("a concluded request polls")
	}
	if got := doc.Find(`[data-testid="timeline-item"]`).AttrOr("data-outcome", ""); got != "failure" {
		t.Errorf("timeline outcome %q", got)
	}
}

func TestResetFormKeepsWhatWasTyped(t *testing.T) {
	f := ResetForm{Cluster: "prod", Group: "orders", Topic: "%RETRY%orders", Topics: []string{"orders", "%RETRY%orders"},
		Kind: "shift", By: "-50", Scope: "chosen", Reason: "line one\nline two", Ticket: "OPS-9",
		Kinds:  []Option{{"earliest", "To earliest"}, {"shift", "Shift"}},
		Queues: []FormQueue{{Label: "b1/0", Checked: true}, {Label: "b1/1"}}}
	doc := render(t, ResetFormFragment(ResetFormPage{Form: f, Error: "The shift is too large."}))
	if got := doc.Find(`textarea[name="reason"]`).Text(); got != f.Reason {
		t.Errorf("reason %q", got)
	}
	if got := doc.Find(`select[name="topic"] option[selected]`).AttrOr("value", ""); got != "%RETRY%orders" {
		t.Errorf("selected topic %q", got)
	}
	if _, ok := doc.Find(`[data-testid="kind-shift"]`).Attr("checked"); !ok {
		t.Error("the kind is not kept")
	}
	if _, ok := doc.Find(`input[name="queue"][value="b1/0"]`).Attr("checked"); !ok {
		t.Error("the ticked queue is not kept")
	}
	if got := doc.Find(`[data-testid="form-error"]`).Text(); !strings.Contains(got, "too large") {
		t.Errorf("error %q", got)
	}
	if doc.Find(`label:has(textarea[name="reason"])`).Length() != 1 {
		t.Error("the reason has no label")
	}
}

// TestResetVerificationShowsWhatWasSeen: while verifying, a queue reverted by a client
// says so with the client's name, whatever it showed before; every observation carries
// its time, offset and verdict.
func TestResetVerificationShowsWhatWasSeen(t *testing.T) {
	at := time.Date(2026, 12, 4, 4, 6, 59, 0, time.UTC)
	until, deadline := at.Add(time.Minute), at.Add(2*time.Minute)
	m := ResetPage{ID: "x", Self: "/resets/x", State: "executed", StateLabel: "Executed, verifying", Live: true,
		Verification: &ResetVerification{At: at.Add(28 * time.Second), Until: &until, Deadline: &deadline, Clients: "10.0.0.7@orders-1",
			Rows: []VerifyRow{{Queue: "broker-a/0", Before: "30", Target: "10", Seen: "30", Verdict: "reverted",
				Label: "reverted by 10.0.0.7@orders-1", Owner: "10.0.0.7@orders-1",
				Log: []VerifyObservation{
					{At: at, Offset: "10", Verdict: "at_target", Label: "at the target"},
					{At: at.Add(28 * time.Second), Offset: "30", Verdict: "reverted", Label: "reverted by 10.0.0.7@orders-1"},
				}}}}}
	doc := render(t, ResetLive(m))
	row := doc.Find(`[data-testid="verify-row"]`)
	if got := row.Find(`[data-testid="verify-verdict"]`).Text(); got != "reverted by 10.0.0.7@orders-1" {
		t.Errorf("verdict %q", got)
	}
	if row.AttrOr("data-honoured", "") != "false" || strings.Contains(row.Text(), "kept") {
		t.Errorf("a reverted queue reads as kept: %q", row.Text())
	}
	obs := row.Find(`[data-testid="observation"]`)
	if obs.Length() != 2 || obs.Eq(1).AttrOr("data-verdict", "") != "reverted" || obs.Eq(1).AttrOr("data-offset", "") != "30" ||
		obs.Eq(1).Find("time").AttrOr("datetime", "") != "2026-12-04T04:07:27Z" {
		t.Errorf("observations: %q", obs.Text())
	}
	status := doc.Find(`[data-testid="verify-status"]`).Text()
	for _, want := range []string{"10.0.0.7@orders-1", "2026-12-04 04:07:59 UTC", "2026-12-04 04:08:59 UTC"} {
		if !strings.Contains(status, want) {
			t.Errorf("status %q does not say %q", status, want)
		}
	}
	if strings.Contains(status, " .") || strings.Contains(status, "  ") {
		t.Errorf("stray spaces in %q", status)
	}
}

// TestResetSentencesReadRight: counts agree with their nouns and no space comes before
// punctuation, whatever the template's line breaks; a point in time shows to the
// millisecond, in UTC as the page is served and marked for the viewer's zone.
func TestResetSentencesReadRight(t *testing.T) {
	at := time.Date(2026, 12, 4, 3, 49, 12, 345_000_000, time.UTC)
	exec := at.Add(time.Hour)
	m := ResetPage{ID: "x", Self: "/resets/x", Group: "Orders-EU", State: "rejected", StateLabel: "Rejected", Approvals: 0, Required: 1,
		Target: "to 2026-12-04 03:49:12.345 UTC", TargetAt: &at, ClosedBy: "Abby", ClosedAt: &exec, CloseComment: "wrong topic",
		ExecutedBy: "Otto Operator", ExecutedAt: &exec,
		Outcome: &ResetOutcome{At: exec, Changed: 4, Rows: make([]OutcomeRow, 4)},
		Preview: ResetPreview{At: at, Instant: &at, Totals: PreviewTotals{Queues: 1, Changed: 0, Clamped: 1},
			Brokers: []PreviewBroker{{Name: "broker-a", Version: "V5_3_3", Path: "server", Online: 1}}},
	}
	doc := render(t, ResetPageView(Chrome{Asset: func(s string) string { return s }}, m))
	text := strings.Join(strings.Fields(doc.Find("main").Text()), " ")
	for _, want := range []string{
		"Rejected by Abby, 2026-12-04 04:49:12 UTC: wrong topic",
		"Executed by Otto Operator, 2026-12-04 04:49:12 UTC: 4 queues: 4 changed.",
		"0 of 1 approval",
		"1 queue, 0 to move, 1 clamped",
		"broker-a (V5_3_3) resets on the server, 1 client online.",
		"to 2026-12-04 03:49:12.345 UTC",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("page does not read %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{" ,", " :", " .", "1 queues", "1 clients"} {
		if strings.Contains(text, bad) {
			t.Errorf("page reads %q:\n%s", bad, text)
		}
	}
	target := doc.Find(`[data-testid="target"] time`)
	if target.AttrOr("datetime", "") != "2026-12-04T03:49:12.345Z" || !target.Is("[data-local][data-ms]") {
		t.Errorf("target time element %v", target.Nodes)
	}
	if got := doc.Find(`[data-testid="preview-instant"] [data-testid="instant"]`).AttrOr("data-instant", ""); got != "2026-12-04T03:49:12.345Z" {
		t.Errorf("the preview echoes %q", got)
	}

	list := render(t, ResetListView(Chrome{Asset: func(s string) string { return s }}, ResetListPage{Rows: []ResetListRow{
		{ID: "x", Href: "/resets/x", Group: "Orders-EU", Topic: "payments", Cluster: "prod", TargetAt: &at, Scope: "1 queue",
			State: "pending", StateLabel: "Waiting for approval", RequestedAt: exec, Required: 1},
	}}))
	if got := list.Find(`[data-testid="reset-group"]`).Text(); got != "Orders-EU" {
		t.Errorf("group %q", got)
	}
	if got := strings.Join(strings.Fields(list.Find(`[data-testid="reset-target"]`).Text()), " "); got != "to 2026-12-04 03:49:12.345 UTC (2026-12-04 03:49:12.345 UTC) (1 queue)" {
		t.Errorf("list target %q", got)
	}
}

func TestResetPageShowsEachGroupOfARequest(t *testing.T) {
	now := time.Now()
	m := ResetPage{ID: "x", Self: "/resets/x", State: "partial", StateLabel: "Partly executed", Approvals: 1, Required: 1,
		Items: []ResetItem{
			{Key: "-0", Group: "orders", Topic: "t1", State: "executed", StateLabel: "Executed, verifying",
				Outcome: &ResetOutcome{At: now, Changed: 1, Rows: []OutcomeRow{{Queue: "b1/0", Path: "direct", Before: "5", Target: "0", Result: "changed"}}}},
			{Key: "-1", Group: "billing", Topic: "t2", State: "failed", StateLabel: "Failed",
				Outcome: &ResetOutcome{At: now}, NotAttempted: "no name server of cluster prod lists a broker of t2 any more"},
		},
	}
	doc := render(t, ResetLive(m))
	items := doc.Find(`[data-testid="item"]`)
	if items.Length() != 2 {
		t.Fatalf("%d items", items.Length())
	}
	if got := items.Eq(1).Find(`[data-testid="not-attempted"]`).Text(); !strings.Contains(got, "lists a broker of t2") || items.Eq(0).Find(`[data-testid="not-attempted"]`).Length() != 0 {
		t.Errorf("not attempted: %q", got)
	}
	if items.Eq(0).Find(`[data-testid="outcome-row"]`).Length() != 1 || items.Eq(1).Find(`[data-testid="outcome-table"]`).Length() != 0 {
		t.Error("each group's outcome is not its own")
	}
	if st, _ := doc.Find(`[data-testid="reset-state"]`).Attr("data-state"); st != "partial" {
		t.Errorf("overall state %q", st)
	}
	page := render(t, ResetPageView(Chrome{Asset: func(n string) string { return n }}, m))
	if got := page.Find(`[data-testid="batch-title"]`).Text(); got != "Reset of 2 groups in one request" {
		t.Errorf("title %q", got)
	}
}
