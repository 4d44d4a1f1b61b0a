package http

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/inspect"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// messagesEnv is the dashboard reading messages from a real 5.3.3 broker, known as "prod",
// with a poller storing what it sees.
type messagesEnv struct {
	*resetEnv
	poller *poller.Poller
}

func newMessagesEnv(t *testing.T, version string, allowResend bool) *messagesEnv {
	t.Helper()
	e := &messagesEnv{resetEnv: &resetEnv{mq: stacktest.Broker(t, version), admin: mqadmin.New(mqadmin.Options{}), clock: &testClock{}}}
	t.Cleanup(func() { e.admin.Close() })
	e.testEnv = newEnv(t, envOptions{policy: resetTestPolicy, users: resetUsers, deps: func(env *testEnv, d *Deps) {
		d.Trail = env.trail
		d.Messages = inspect.New([]inspect.Cluster{{Name: resetCluster, NamesrvAddrs: []string{e.mq.NamesrvAddr},
			Admin: e.admin, AllowResend: allowResend}}, env.trail)
	}})
	c, err := storage.UpsertCluster(context.Background(), e.pool, resetCluster, []string{e.mq.NamesrvAddr})
	if err != nil {
		t.Fatal(err)
	}
	e.poller = poller.New(poller.Config{Cluster: resetCluster, ClusterID: c.ID, NamesrvAddrs: []string{e.mq.NamesrvAddr},
		Admin: e.admin, Pool: e.pool, Logger: slog.New(slog.DiscardHandler), Now: e.clock.Now})
	return e
}

func (e *messagesEnv) poll(t *testing.T) {
	t.Helper()
	if rep := e.poller.PollOnce(context.Background()); rep.Err != nil {
		t.Fatal(rep.Err)
	}
}

// auditCount counts the trail's entries of an action and outcome about group.
func (e *messagesEnv) auditCount(t *testing.T, action, outcome, group string) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_entry
		WHERE action = $1 AND outcome = $2 AND group_name = $3`, action, outcome, group).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeadLettersPage: a group whose consumer fails every message shows its dead letters:
// counts for everyone, bodies for those allowed to read messages (each read recorded), and
// a dead letter sent back to the retry topic by an admin, recorded too.
func TestDeadLettersPage(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) { testDeadLettersPage(t, version) })
	}
}

func testDeadLettersPage(t *testing.T, version string) {
	e := newMessagesEnv(t, version, true)
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "failing")
	stacktest.CreateTopic(t, e.mq, topic, 1)
	stacktest.Consume(t, e.mq, group, topic, stacktest.ConsumerOptions{FailAll: true, MaxRetries: 1})
	stacktest.Produce(t, e.mq, topic, 3)
	waitTrue(t, 2*time.Minute, "three dead letters", func() error { return topicHolds(e.admin, e.mq, "%DLQ%"+group, 3) })
	e.poll(t)

	base := fmt.Sprintf("/clusters/%s/groups/%s", resetCluster, group)
	viewer, operator, admin := e.user(t, "viewer"), e.user(t, "operator"), e.user(t, "admin")
	if p := e.get(t, viewer, base); !strings.Contains(p.body, base+"/dead-letters") {
		t.Fatalf("group page does not load the dead letters: %.500s", p.body)
	}
	p := e.get(t, viewer, base+"/dead-letters")
	if p.status != http.StatusOK || p.doc.Find(`[data-testid="dead-letter"]`).Length() != 3 ||
		!strings.Contains(p.testID("dlq-counts"), "3 messages went to") {
		t.Fatalf("dead letters as viewer: %d %.800s", p.status, p.body)
	}
	if p.doc.Find(`[data-testid="read-body"]`).Length() != 0 || p.doc.Find(`[data-testid="resend"]`).Length() != 0 {
		t.Fatal("a viewer is offered to read bodies or send back")
	}
	p = e.get(t, operator, base+"/dead-letters")
	href, ok := p.doc.Find(`[data-testid="read-body"]`).First().Attr("href")
	if !ok || p.doc.Find(`[data-testid="resend"]`).Length() != 0 {
		t.Fatalf("operator: read link %v, resend buttons %d", ok, p.doc.Find(`[data-testid="resend"]`).Length())
	}
	if got := e.get(t, viewer, href); got.status != http.StatusForbidden {
		t.Fatalf("viewer reading a body: %d", got.status)
	}
	body := e.get(t, operator, href)
	if body.status != http.StatusOK || !strings.HasPrefix(body.testID("body"), "message ") {
		t.Fatalf("operator reading a body: %d %.500s", body.status, body.body)
	}
	if n := e.auditCount(t, "message.read", "success", group); n != 1 {
		t.Fatalf("%d message.read entries, want 1", n)
	}
	// Another group's dead letters are not this group's to read.
	other := strings.Replace(href, url.QueryEscape("%DLQ%"+group), url.QueryEscape("%DLQ%someone-else"), 1)
	if got := e.get(t, operator, other); got.status != http.StatusNotFound {
		t.Fatalf("reading another group's dead letter under this group: %d", got.status)
	}

	p = e.get(t, admin, base+"/dead-letters")
	row := p.doc.Find(`[data-testid="dead-letter"]`).First()
	form := url.Values{}
	row.Find(`input[type="hidden"]`).Each(func(_ int, in *goquery.Selection) {
		form.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	retryBefore := topicTotal(t, e.admin, e.mq, "%RETRY%"+group)
	if got := e.post(t, admin, base+"/dead-letters/resend", form); got.status != http.StatusSeeOther {
		t.Fatalf("send back: %d %.500s", got.status, got.body)
	}
	if after := topicTotal(t, e.admin, e.mq, "%RETRY%"+group); after != retryBefore+1 {
		t.Fatalf("retry topic holds %d, want %d", after, retryBefore+1)
	}
	if n := e.auditCount(t, "message.resent", "success", group); n != 1 {
		t.Fatalf("%d message.resent entries, want 1", n)
	}
	if n := e.auditCount(t, "message.resend_started", "success", group); n != 1 {
		t.Fatalf("%d message.resend_started entries, want 1 before the message went", n)
	}
	if got := e.post(t, operator, base+"/dead-letters/resend", form); got.status != http.StatusForbidden {
		t.Fatalf("operator sending back: %d", got.status)
	}

	// As an operator sees them in a browser: the group page loads its dead letters.
	e.screenshot(t, base, "dead-letter", "dead-letters")
}

// TestResendRefusedWhereOff: a cluster that does not allow sending dead letters back refuses
// it, and the refusal is recorded.
func TestResendRefusedWhereOff(t *testing.T) {
	e := newMessagesEnv(t, stacktest.Versions(t)[0], false)
	group := stacktest.Name(t, "g")
	form := url.Values{"broker": {e.mq.BrokerName}, "queue": {"0"}, "offset": {"0"}}
	// The group must be known to the dashboard for its routes to answer.
	if err := storage.SaveCycle(context.Background(), e.pool, storage.Cycle{ClusterID: clusterID(t, e.pool), At: time.Now(),
		Groups: []storage.GroupState{{Group: group, Topics: []string{}, Health: "OK", LagTimeSource: "unknown", PolledAt: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	got := e.post(t, e.user(t, "admin"), fmt.Sprintf("/clusters/%s/groups/%s/dead-letters/resend", resetCluster, group), form)
	if got.status != http.StatusForbidden || !strings.Contains(got.body, "does not allow sending dead letters back") {
		t.Fatalf("send back where off: %d %.500s", got.status, got.body)
	}
	if n := e.auditCount(t, "message.resent", "denied", group); n != 1 {
		t.Fatalf("%d denied message.resent entries, want 1", n)
	}
}

// TestBlockedOn: a consumer that never finishes one message holds its queue at that offset;
// the page names the message, and its body is there for those who may read it.
func TestBlockedOn(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) { testBlockedOn(t, version) })
	}
}

func testBlockedOn(t *testing.T, version string) {
	e := newMessagesEnv(t, version, false)
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "stuck")
	stacktest.CreateTopic(t, e.mq, topic, 1)
	stacktest.Produce(t, e.mq, topic, 3)
	c := stacktest.Consume(t, e.mq, group, topic, stacktest.ConsumerOptions{StuckOn: "message 1"})
	c.WaitReceived(t, 2, 90*time.Second)
	waitTrue(t, 60*time.Second, "offset 1 committed", func() error {
		all, err := e.admin.BrokerOffsets(context.Background(), e.mq.BrokerAddr)
		if err != nil {
			return err
		}
		if got := all.Committed[mqadmin.GroupTopic{Group: group, Topic: topic}][0]; got != 1 {
			return fmt.Errorf("committed %d", got)
		}
		return nil
	})
	e.poll(t)
	e.clock.Advance(2 * time.Minute) // nothing moves for two minutes: the group stalls
	e.poll(t)
	st, err := storage.GroupStateOf(context.Background(), e.pool, clusterID(t, e.pool), group)
	if err != nil || (st.Health != "STALL" && st.Health != "STOP") {
		t.Fatalf("group health %s (%v), want STALL or STOP", st.Health, err)
	}
	base := fmt.Sprintf("/clusters/%s/groups/%s", resetCluster, group)
	p := e.get(t, e.user(t, "operator"), base+"/blocked")
	q := p.doc.Find(`[data-testid="blocked-queue"]`)
	if p.status != http.StatusOK || q.Length() != 1 || !strings.Contains(q.Find("h3").Text(), "at offset 1") {
		t.Fatalf("blocked on: %d %.800s", p.status, p.body)
	}
	meta := func(id string) string { return strings.TrimSpace(q.Find(`[data-testid="` + id + `"]`).Text()) }
	if meta("message-size") != "9 bytes" || meta("message-reconsume") != "0 times" {
		t.Errorf("the message blocked on: size %q, redelivered %q; want 9 bytes, 0 times", meta("message-size"), meta("message-reconsume"))
	}
	href, ok := q.Find(`[data-testid="read-body"]`).Attr("href")
	if !ok {
		t.Fatal("no link to the body for an operator")
	}
	if body := e.get(t, e.user(t, "operator"), href); body.testID("body") != "message 1" {
		t.Fatalf("body %q", body.testID("body"))
	}
	// A viewer sees which message it is, not what it says.
	v := e.get(t, e.user(t, "viewer"), base+"/blocked")
	if v.doc.Find(`[data-testid="blocked-queue"]`).Length() != 1 || v.doc.Find(`[data-testid="read-body"]`).Length() != 0 {
		t.Errorf("viewer: %d blocked queues, %d links to a body; want 1 and none",
			v.doc.Find(`[data-testid="blocked-queue"]`).Length(), v.doc.Find(`[data-testid="read-body"]`).Length())
	}
	if got := e.get(t, e.user(t, "viewer"), href); got.status != http.StatusForbidden {
		t.Errorf("viewer reading the body: %d", got.status)
	}

	e.screenshot(t, base, "blocked-queue", "blocked-on")
}

// screenshot opens page in Chromium as an operator, waits for an element with data-testid
// ready (the group page loads its message sections after the page), scrolls section into
// view and saves a screenshot named after it.
func (e *messagesEnv) screenshot(t *testing.T, page, ready, section string) {
	t.Helper()
	b := browserSteps{t: t, tab: stacktest.Browser(t)}
	b.signIn(e.URL, page, "operator")
	b.run(chromedp.WaitVisible(chromedp.CSS(`[data-testid="`+ready+`"]`)),
		chromedp.ScrollIntoView(chromedp.CSS(`[data-testid="`+section+`"]`)))
	b.tab.Screenshot(section)
}

func waitTrue(t *testing.T, within time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s: %v", what, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func topicTotal(t *testing.T, admin *mqadmin.Client, r stacktest.RocketMQ, topic string) int64 {
	t.Helper()
	ts, err := admin.TopicStats(context.Background(), r.BrokerAddr, topic)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, o := range ts.Offsets {
		n += o.MaxOffset
	}
	return n
}

func topicHolds(admin *mqadmin.Client, r stacktest.RocketMQ, topic string, want int64) error {
	ts, err := admin.TopicStats(context.Background(), r.BrokerAddr, topic)
	if err != nil {
		return err
	}
	var n int64
	for _, o := range ts.Offsets {
		n += o.MaxOffset
	}
	if n != want {
		return fmt.Errorf("%s holds %d", topic, n)
	}
	return nil
}

func clusterID(t *testing.T, db storage.DBTX) int64 {
	t.Helper()
	c, err := storage.ClusterNamed(context.Background(), db, resetCluster)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}
