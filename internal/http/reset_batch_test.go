package http

import (
	"maps"
	"net/http"

	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestResetBatchThroughHTTP requests one reset of two groups, each on its own topic, from
// the form: the preview shows one table per group, a line that is not a group keeps the
// form as typed, the request is approved once and executed once, and its page, the list and
// the timeline show each group with its own state. A group's own id leads to the request.
func TestResetBatchThroughHTTP(t *testing.T) {
	e := newResetEnv(t, 0)
	g1, g2 := e.seedGroup(t), e.seedGroup(t)
	operator, approver := e.user(t, "operator"), e.user(t, "approver")
	form := g1.form("Replay both after the pricing fix")
	form.Set("more", g2.group+" "+g2.topic+"\n")

	bad := maps.Clone(form)
	bad.Set("more", g2.group+" "+g2.topic+" extra\n")
	p := e.post(t, operator, "/resets", bad)
	if p.status != http.StatusBadRequest || !strings.Contains(p.testID("form-error"), "Line 1 of the other groups") {
		t.Errorf("a bad line: %d %q", p.status, p.testID("form-error"))
	}
	if got := p.doc.Find(`textarea[name="more"]`).Text(); got != bad.Get("more") {
		t.Errorf("the other groups are now %q", got)
	}

	hx := http.Header{"Hx-Request": {"true"}, "Sec-Fetch-Site": {"same-origin"}}
	pv := do(t, operator, http.MethodPost, e.URL+"/resets/preview", form, hx)
	var headings []string
	pv.doc.Find(`[data-testid="preview-heading"]`).Each(func(_ int, s *goquery.Selection) { headings = append(headings, s.Text()) })
	if strings.Join(headings, "|") != g1.group+" on "+g1.topic+"|"+g2.group+" on "+g2.topic {
		t.Fatalf("previews of %q: %.500s", headings, pv.body)
	}
	if n := pv.doc.Find(`[data-testid="preview-row"]`).Length(); n != len(g1.max)+len(g2.max) {
		t.Errorf("%d preview rows", n)
	}

	id := requestID(t, e.post(t, operator, "/resets", form))
	page := e.get(t, approver, "/resets/"+id)
	if page.testID("batch-title") != "Reset of 2 groups in one request" || page.doc.Find(`[data-testid="preview"]`).Length() != 2 {
		t.Fatalf("the request's page: %q with %d previews", page.testID("batch-title"), page.doc.Find(`[data-testid="preview"]`).Length())
	}
	if p := e.post(t, approver, "/resets/"+id+"/approve", nil); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d: %.300s", p.status, p.body)
	}
	if p := e.post(t, operator, "/resets/"+id+"/execute", nil); p.status != http.StatusSeeOther {
		t.Fatalf("execute: %d: %.500s", p.status, p.body)
	}
	for _, g := range []seededGroup{g1, g2} {
		want := map[int]int64{}
		for q := range g.max {
			want[q] = 0
		}
		if got := e.offsets(t, g); !maps.Equal(got, want) {
			t.Errorf("%s: broker offsets %v, want earliest", g.group, got)
		}
	}
	done := e.get(t, operator, "/resets/"+id)
	if st, _ := done.doc.Find(`[data-testid="reset-state"]`).Attr("data-state"); st != "executed" {
		t.Errorf("the request's state %q", st)
	}
	items := done.doc.Find(`[data-testid="item"]`)
	if items.Length() != 2 || items.Filter(`[data-state="executed"]`).Length() != 2 || items.Find(`[data-testid="outcome-row"]`).Length() != len(g1.max)+len(g2.max) {
		t.Errorf("items: %d, executed %d: %.300s", items.Length(), items.Filter(`[data-state="executed"]`).Length(), done.body)
	}
	var abouts []string
	done.doc.Find(`[data-testid="timeline-item"][data-action="reset.executed"] [data-testid="timeline-about"]`).Each(func(_ int, s *goquery.Selection) {
		abouts = append(abouts, s.Text())
	})
	if len(abouts) != 2 {
		t.Errorf("execution entries in the timeline: %q", abouts)
	}

	list := e.get(t, approver, "/resets?state=done")
	for _, g := range []seededGroup{g1, g2} {
		row := list.doc.Find(`[data-testid="reset-row"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
			return s.Find(`[data-testid="reset-group"]`).Text() == g.group
		})
		if href, _ := row.Find("a").Attr("href"); href != "/resets/"+id || !strings.Contains(row.Find(`[data-testid="reset-batch"]`).Text(), "of 2 in one request") {
			t.Errorf("list row of %s: link %q, %q", g.group, href, row.Find(`[data-testid="reset-batch"]`).Text())
		}
	}
	var second string
	if err := e.pool.QueryRow(testCtx(t), `SELECT id::text FROM reset_request WHERE batch_id = $1 AND batch_index = 1`, id).Scan(&second); err != nil {
		t.Fatal(err)
	}
	if p := e.get(t, operator, "/resets/"+second); p.status != http.StatusSeeOther || p.header.Get("Location") != "/resets/"+id {
		t.Errorf("the second group's own page: %d to %q", p.status, p.header.Get("Location"))
	}
}
