package http

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/storage"
)

// scopedFleet stores prod's fleet and five staging groups, three of them billing-*, the
// scoped user's grant (clusters: [staging], consumer_groups: ["billing-*"]).
func scopedFleet(t *testing.T, pool *pgxpool.Pool, now time.Time) {
	t.Helper()
	fleet("prod", 3, now).save(t, pool)
	st := seed{cluster: "staging", at: now, brokers: []storage.BrokerState{{Name: "broker-a", Addr: "10.0.0.2:10911", Err: "connection refused"}}}
	for i, h := range []struct{ name, health string }{
		{"billing-a", "STALL"}, {"billing-b", "OK"}, {"billing-c", "OK"}, {"orders", "STOP"}, {"shipping", "WARN"},
	} {
		g, q := group(h.name, h.health, ptr(int64(100*(i+1))), ptr(float64(10*(i+1))), "CLUSTERING", now)
		st.groups, st.queues = append(st.groups, g), append(st.queues, q)
	}
	st.save(t, pool)
}

// insertReset stores a reset request of a group in a state, executed at executed.
func insertReset(t *testing.T, pool *pgxpool.Pool, cluster, group, state string, executed time.Time) string {
	t.Helper()
	var id string
	err := pool.QueryRow(context.Background(), `INSERT INTO reset_request (id, cluster, group_name, topic, kind, params, reason,
			preview, required_approvals, state, requested_by, requested_by_name, requested_at, expires_at, executed_by_name,
			executed_at, updated_at)
		VALUES (gen_random_uuid(), $1, $2, 'topic-'||$2, 'earliest', '{}', 'test', '{}', 1, $3, 'sub', 'Olga Operator',
			$4::timestamptz - interval '1 hour', $4::timestamptz + interval '1 day', 'Olga Operator', $4, $4)
		RETURNING id::text`, cluster, group, state, executed).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestScopedUserSeesExactlyTheirGroups: a grant on staging's billing-* groups shows those
// groups and only those on every page, counts included, whoever loaded the page just
// before; other groups' pages are refused.
func TestScopedUserSeesExactlyTheirGroups(t *testing.T) {
	env := newEnv(t, envOptions{})
	now := time.Now()
	scopedFleet(t, env.pool, now)
	mine := insertReset(t, env.pool, "staging", "billing-a", "verified", now.Add(-10*time.Minute))
	insertReset(t, env.pool, "staging", "orders", "verified", now.Add(-5*time.Minute))
	scoped, viewer := env.signIn(t, "scoped"), env.signIn(t, "viewer")
	get := func(c *http.Client, path string) page {
		t.Helper()
		p := do(t, c, http.MethodGet, env.URL+path, nil, nil)
		if p.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.status)
		}
		return p
	}
	billing := []string{"billing-a", "billing-b", "billing-c"}
	// Both orders of loading, so that the page cache cannot hand one viewer's rows to another.
	for _, first := range []string{"viewer", "scoped"} {
		t.Run(first+" first", func(t *testing.T) {
			if first == "viewer" {
				get(viewer, "/groups")
				get(viewer, "/")
			}
			groups := get(scoped, "/groups")
			got := rowsOf(groups)
			slices.Sort(got)
			if !slices.Equal(got, billing) {
				t.Errorf("scoped user's groups %v, want %v", got, billing)
			}
			if c := strings.Join(strings.Fields(groups.testID("count")), " "); c != "Groups 1–3 of 3" {
				t.Errorf("count line %q", c)
			}
			if got := attrs(groups, `select[name=cluster] option`, "value"); !slices.Equal(got, []string{"", "staging"}) {
				t.Errorf("cluster options %v", got)
			}
			ov := get(scoped, "/")
			if got := attrs(ov, `[data-testid="cluster"]`, "data-cluster"); !slices.Equal(got, []string{"staging"}) {
				t.Errorf("overview clusters %v", got)
			}
			counts := map[string]string{}
			ov.doc.Find(`[data-cluster="staging"] [data-testid="health-count"]`).Each(func(_ int, s *goquery.Selection) {
				counts[s.AttrOr("data-health", "")] = strings.Join(strings.Fields(s.Text()), " ")
			})
			if len(counts) != 2 || counts["STALL"] != "STALL 1" || counts["OK"] != "OK 2" {
				t.Errorf("health counts %v, want STALL 1 and OK 2", counts)
			}
			if total := ov.doc.Find(`[data-cluster="staging"] [data-testid="health-counts"] > a`).First().Text(); total != "3 groups" {
				t.Errorf("group total %q", total)
			}
			worst := attrs(ov, `[data-testid="worst-by-time"] [data-testid="worst-group"]`, "data-group")
			if !slices.Equal(worst, []string{"billing-c", "billing-b", "billing-a"}) {
				t.Errorf("worst groups %v", worst)
			}
			if got := attrs(ov, `[data-testid="recent-reset"] [data-testid="reset-href"]`, "href"); !slices.Equal(got, []string{"/resets/" + mine}) {
				t.Errorf("recent resets %v, want only billing-a's", got)
			}
			if got := attrs(ov, `[data-testid="broker"]`, "data-status"); !slices.Equal(got, []string{"failing"}) {
				t.Errorf("broker statuses %v", got)
			}
			if !strings.Contains(ov.testID("stale-banner"), "connection refused") {
				t.Errorf("stale banner %q", ov.testID("stale-banner"))
			}
		})
	}
	// The viewer sees every group, and both resets.
	if n := len(rowsOf(get(viewer, "/groups"))); n != 8 {
		t.Errorf("viewer sees %d groups, want 8", n)
	}
	if n := get(viewer, "/").doc.Find(`[data-testid="recent-reset"]`).Length(); n != 2 {
		t.Errorf("viewer sees %d resets, want 2", n)
	}
	for path, want := range map[string]int{
		"/groups?cluster=prod": 0, "/groups?q=orders": 0, "/groups?cluster=staging&health=STALL": 1,
	} {
		if n := len(rowsOf(get(scoped, path))); n != want {
			t.Errorf("%s shows the scoped user %d groups, want %d", path, n, want)
		}
	}
	for path, want := range map[string]int{
		"/clusters/prod/groups/prod-fleet-0000": 403, "/clusters/staging/groups/orders": 403,
		"/clusters/staging/groups/orders/history": 403, "/clusters/staging/groups/billing-a": 200,
	} {
		if p := do(t, scoped, http.MethodGet, env.URL+path, nil, nil); p.status != want {
			t.Errorf("%s: %d, want %d", path, p.status, want)
		}
	}
}

// TestResetsOnGroupPage: the request link shows to those who may request a reset, with the
// group in its query; executed resets in the chart's range are listed and in its data.
func TestResetsOnGroupPage(t *testing.T) {
	env := newEnv(t, envOptions{})
	now := time.Now()
	scopedFleet(t, env.pool, now)
	ran := insertReset(t, env.pool, "staging", "billing-a", "partial", now.Add(-30*time.Minute))
	insertReset(t, env.pool, "staging", "billing-a", "failed", now.Add(-20*time.Minute))
	insertReset(t, env.pool, "staging", "billing-a", "verified", now.Add(-3*time.Hour))
	scoped, viewer := env.signIn(t, "scoped"), env.signIn(t, "viewer")
	base := env.URL + "/clusters/staging/groups/billing-a"

	p := do(t, scoped, http.MethodGet, base+"?range=1h", nil, nil)
	link := p.doc.Find(`[data-testid="reset-link"]`)
	if href := link.AttrOr("href", ""); href != "/resets/new?cluster=staging&group=billing-a" || !strings.Contains(link.Text(), "Reset offsets") {
		t.Errorf("reset link %q %q", href, link.Text())
	}
	// The viewer loads the same page, from the same cache entry, without the link.
	if v := do(t, viewer, http.MethodGet, base+"?range=1h", nil, nil); v.doc.Find(`[data-testid="reset-link"]`).Length() != 0 {
		t.Error("a viewer is offered to request a reset")
	}
	marks := p.doc.Find(`[data-testid="reset-marker"]`)
	if marks.Length() != 1 || marks.Find("a").AttrOr("href", "") != "/resets/"+ran || !strings.Contains(marks.Text(), "partly executed") {
		t.Errorf("1 h markers: %d %q", marks.Length(), marks.Text())
	}
	if n := do(t, scoped, http.MethodGet, base+"?range=6h", nil, nil).doc.Find(`[data-testid="reset-marker"]`).Length(); n != 2 {
		t.Errorf("6 h range marks %d resets, want 2", n)
	}
	h := do(t, scoped, http.MethodGet, base+"/history?range=1h", nil, nil)
	var d historyJSON
	if err := json.Unmarshal([]byte(h.body), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Resets) != 1 || d.Resets[0].At != now.Add(-30*time.Minute).Unix() || !strings.Contains(d.Resets[0].Label, "by Olga Operator") {
		t.Errorf("chart resets %+v", d.Resets)
	}
}
