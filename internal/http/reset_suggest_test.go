package http

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/lagboard/lagboard/internal/storage"
)

// TestResetSuggestions: the request form's group box suggests, as the user types, the
// stored groups of the cluster whose names contain the typed text, among those the user
// may request resets for and no other; the form lists them from the start too.
func TestResetSuggestions(t *testing.T) {
	env := newEnv(t, envOptions{})
	now := time.Now()
	for cluster, names := range map[string][]string{"staging": {"billing-a", "billing-b", "orders"}, "prod": {"billing-prod"}} {
		s := seed{cluster: cluster, at: now, brokers: []storage.BrokerState{{Name: "broker-a", Addr: "10.0.0.1:10911"}}}
		for _, n := range names {
			g, q := group(n, "OK", ptr(int64(1)), ptr(1.0), "CLUSTERING", now)
			s.groups, s.queues = append(s.groups, g), append(s.queues, q)
		}
		s.save(t, env.pool)
	}
	options := func(p page) []string {
		var out []string
		p.doc.Find(`datalist#group-options option`).Each(func(_ int, o *goquery.Selection) { out = append(out, o.AttrOr("value", "")) })
		return out
	}
	tests := []struct {
		user, query string
		want        []string
		status      int
	}{
		{"operator", "cluster=staging", []string{"billing-a", "billing-b", "orders"}, 200},
		{"operator", "cluster=staging&group=ILL", []string{"billing-a", "billing-b"}, 200},
		{"operator", "cluster=prod&group=bill", []string{"billing-prod"}, 200},
		{"scoped", "cluster=staging", []string{"billing-a", "billing-b"}, 200}, // admin on staging's billing-* only
		{"scoped", "cluster=prod", nil, 200},
		{"scoped", "", []string{"billing-a", "billing-b"}, 200},
		{"viewer", "cluster=staging", nil, http.StatusForbidden},
	}
	clients := map[string]*http.Client{}
	for _, tt := range tests {
		if clients[tt.user] == nil {
			clients[tt.user] = env.signIn(t, tt.user)
		}
		p := do(t, clients[tt.user], http.MethodGet, env.URL+"/resets/suggest?"+tt.query, nil, http.Header{"Hx-Request": {"true"}})
		if p.status != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.user, tt.query, p.status, tt.status)
			continue
		}
		if got := options(p); tt.status == 200 && !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: suggests %q, want %q", tt.user, tt.query, got, tt.want)
		}
	}
}
