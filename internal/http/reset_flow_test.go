package http

import (
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/lagboard/lagboard/internal/views"
)

// TestResetFlowThroughHTTP runs a reset from the form to verification as three people:
// the operator previews and requests it, an approver approves it, the operator executes
// it; the broker then holds the frozen targets, and the request's page, list and timeline
// say so, each step with its audit entry.
func TestResetFlowThroughHTTP(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	operator, approver, viewer := e.user(t, "operator"), e.user(t, "approver"), e.user(t, "viewer")
	query := url.Values{"cluster": {resetCluster}, "group": {g.group}, "topic": {g.topic}}

	form := e.get(t, operator, "/resets/new?"+query.Encode())
	if form.status != http.StatusOK || form.doc.Find(`[data-testid="form-queue"]`).Length() != len(g.max) {
		t.Fatalf("form: %d with %d queues, want %d: %.500s", form.status, form.doc.Find(`[data-testid="form-queue"]`).Length(), len(g.max), form.body)
	}

	hx := http.Header{"Hx-Request": {"true"}, "Sec-Fetch-Site": {"same-origin"}}
	pv := do(t, operator, http.MethodPost, e.URL+"/resets/preview", g.form(""), hx)
	if pv.status != http.StatusOK || strings.Contains(pv.body, "<html") {
		t.Fatalf("preview: %d: %.300s", pv.status, pv.body)
	}
	var reconsume int64
	for _, c := range g.committed {
		reconsume += c
	}
	if n := pv.doc.Find(`[data-testid="preview-row"]`).Length(); n != len(g.max) {
		t.Fatalf("preview has %d rows, want %d: %.500s", n, len(g.max), pv.body)
	}
	if got := pv.testID("total-reconsume"); got != views.Count(reconsume) {
		t.Errorf("preview re-consumes %q, want %s", got, views.Count(reconsume))
	}
	if _, disabled := pv.doc.Find(`[data-testid="submit-reset"]`).Attr("disabled"); disabled {
		t.Error("submit is disabled without a blocking warning")
	}
	// Without scripts the Preview button posts the form and gets the page back, filled in.
	full := e.post(t, operator, "/resets/preview", g.form("kept as typed"))
	if full.status != http.StatusOK || full.doc.Find(`[data-testid="preview-row"]`).Length() != len(g.max) ||
		full.doc.Find(`textarea[name="reason"]`).Text() != "kept as typed" {
		t.Errorf("preview without scripts: %d: %.300s", full.status, full.body)
	}
	if e.requests(t) != 0 {
		t.Fatal("a preview stored a request")
	}

	id := requestID(t, e.post(t, operator, "/resets", g.form("Replay orders after the pricing fix")))
	if st := e.state(t, id); st != "pending" {
		t.Fatalf("new request is %s", st)
	}
	page := e.get(t, approver, "/resets/"+id)
	if page.status != http.StatusOK || page.doc.Find(`[data-testid="approve"]`).Length() != 1 || page.doc.Find(`[data-testid="execute"]`).Length() != 0 {
		t.Fatalf("approver's page: %d, approve button %d: %.300s", page.status, page.doc.Find(`[data-testid="approve"]`).Length(), page.body)
	}
	if got := page.testID("reason"); got != "Replay orders after the pricing fix" {
		t.Errorf("page shows reason %q", got)
	}
	if own := e.get(t, operator, "/resets/"+id); own.doc.Find(`[data-testid="approve"]`).Length() != 0 || own.doc.Find(`[data-testid="cancel"]`).Length() != 1 {
		t.Error("the requester is offered approval, or not offered to cancel")
	}
	if p := e.get(t, viewer, "/resets/"+id); p.status != http.StatusForbidden {
		t.Errorf("viewer reads a request: %d", p.status)
	}

	if p := e.post(t, approver, "/resets/"+id+"/approve", url.Values{"comment": {"checked with the team"}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/resets/"+id {
		t.Fatalf("approve: %d to %q: %.300s", p.status, p.header.Get("Location"), p.body)
	}
	if st := e.state(t, id); st != "approved" {
		t.Fatalf("after approval the request is %s", st)
	}
	if p := e.post(t, operator, "/resets/"+id+"/execute", nil); p.status != http.StatusSeeOther {
		t.Fatalf("execute: %d: %.500s", p.status, p.body)
	}
	req, err := e.svc.Get(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int64{}
	for _, q := range req.Preview.Queues {
		want[q.QueueID] = q.Target
	}
	if got := e.offsets(t, g); !maps.Equal(got, want) {
		t.Fatalf("broker offsets %v, frozen targets %v", got, want)
	}
	done := e.get(t, operator, "/resets/"+id)
	if st, _ := done.doc.Find(`[data-testid="reset-state"]`).Attr("data-state"); st != "executed" {
		t.Errorf("page state %q after execution", st)
	}
	if _, polls := done.doc.Find(`[data-testid="reset-live"]`).Attr("hx-trigger"); !polls {
		t.Error("the state fragment does not poll while verification runs")
	}
	rows := done.doc.Find(`[data-testid="outcome-row"]`)
	if rows.Length() != len(want) {
		t.Fatalf("%d outcome rows, want %d", rows.Length(), len(want))
	}
	for i := range rows.Length() {
		if r, _ := rows.Eq(i).Attr("data-result"); r != "changed" {
			t.Errorf("outcome row %d: %s", i, r)
		}
	}

	// The first look sees every queue at its target; the next, once they have kept it for
	// the settle period, concludes.
	for range 2 {
		if err := e.svc.VerifyDue(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Second)
	}
	live := do(t, operator, http.MethodGet, e.URL+"/resets/"+id, nil, http.Header{"Hx-Request": {"true"}})
	if st, _ := live.doc.Find(`[data-testid="reset-state"]`).Attr("data-state"); st != "verified" || strings.Contains(live.body, "<html") {
		t.Errorf("fragment after verification: state %q: %.200s", st, live.body)
	}
	if _, polls := live.doc.Find(`[data-testid="reset-live"]`).Attr("hx-trigger"); polls {
		t.Error("the fragment still polls once verified")
	}
	if n := live.doc.Find(`[data-testid="verify-row"][data-honoured="true"]`).Length(); n != len(want) {
		t.Errorf("%d queues verified, want %d", n, len(want))
	}
	var actions []string
	live.doc.Find(`[data-testid="timeline-item"]`).Each(func(_ int, s *goquery.Selection) {
		a, _ := s.Attr("data-action")
		actions = append(actions, a)
	})
	wantActions := []string{"reset.requested", "reset.approved", "reset.started", "reset.executed", "reset.verified"}
	if strings.Join(actions, " ") != strings.Join(wantActions, " ") {
		t.Errorf("timeline %v, want %v", actions, wantActions)
	}
	for _, a := range wantActions {
		if n := e.auditCount(t, id, a, "success"); n != 1 {
			t.Errorf("%d %s entries for %s", n, a, id)
		}
	}

	list := e.get(t, approver, "/resets?state=done&group="+url.QueryEscape(g.group))
	if list.status != http.StatusOK || list.doc.Find(`[data-testid="reset-row"][data-id="`+id+`"]`).Length() != 1 {
		t.Errorf("list of done requests: %d: %.300s", list.status, list.body)
	}
	if open := e.get(t, approver, "/resets?state=open&group="+url.QueryEscape(g.group)); open.doc.Find(`[data-testid="reset-row"]`).Length() != 0 {
		t.Error("the executed request is listed as open")
	}
	if p := e.get(t, viewer, "/resets"); p.status != http.StatusForbidden {
		t.Errorf("viewer lists requests: %d", p.status)
	}
	if p := e.get(t, e.user(t, "auditor"), "/resets"); p.status != http.StatusOK || p.doc.Find(`[data-id="`+id+`"]`).Length() != 1 {
		t.Errorf("auditor's list: %d", p.status)
	}
}

// TestResetExactOffsetsOnSomeQueues requests exact offsets on two of the four queues: the
// preview, the request and the execution cover those two only, and the others keep their
// offsets.
func TestResetExactOffsetsOnSomeQueues(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	operator, approver := e.user(t, "operator"), e.user(t, "approver")
	broker := e.mq.BrokerName
	f := g.form("Skip the poison message on two queues")
	f.Set("kind", "exact")
	f.Set("offset."+broker+"/0", "7")
	f.Set("offset."+broker+"/2", strconv.FormatInt(g.max[2], 10))
	pv := do(t, operator, http.MethodPost, e.URL+"/resets/preview", f, http.Header{"Hx-Request": {"true"}, "Sec-Fetch-Site": {"same-origin"}})
	if n := pv.doc.Find(`[data-testid="preview-row"]`).Length(); n != 2 {
		t.Fatalf("preview of exact offsets has %d rows, want 2: %.400s", n, pv.body)
	}
	id := requestID(t, e.post(t, operator, "/resets", f))
	if p := e.get(t, operator, "/resets/"+id); p.testID("queues") != broker+"/0, "+broker+"/2" {
		t.Errorf("the request covers %q", p.testID("queues"))
	}
	if p := e.post(t, approver, "/resets/"+id+"/approve", nil); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", p.status)
	}
	if p := e.post(t, operator, "/resets/"+id+"/execute", nil); p.status != http.StatusSeeOther {
		t.Fatalf("execute: %d: %.600s", p.status, p.body)
	}
	want := maps.Clone(g.committed)
	want[0], want[2] = 7, g.max[2]
	if got := e.offsets(t, g); !maps.Equal(got, want) {
		t.Errorf("broker offsets %v, want %v", got, want)
	}
}
