package audit

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/config"
)

func TestRecordConfig(t *testing.T) {
	pool, _ := open(t)
	first := map[string]any{"clusters": []string{"prod"}, "poll_interval": "10s"}
	steps := []struct {
		name    string
		summary any
		changed bool
		before  string // the Before of the entry written, "" for none
	}{
		{"first start records", first, true, ""},
		{"same configuration: nothing", first, false, ""},
		{"same content, other key order: nothing", json.RawMessage(`{"poll_interval":"10s","clusters":["prod"]}`), false, ""},
		{"a change records before and after", map[string]any{"clusters": []string{"prod", "staging"}, "poll_interval": "10s"}, true,
			`{"clusters":["prod"],"poll_interval":"10s"}`},
		{"going back is a change too", first, true, `{"clusters":["prod","staging"],"poll_interval":"10s"}`},
	}
	entries := 0
	for _, s := range steps {
		changed, err := RecordConfig(t.Context(), pool, s.summary)
		if err != nil || changed != s.changed {
			t.Fatalf("%s: changed %v, %v", s.name, changed, err)
		}
		l, err := List(t.Context(), pool, Filter{Action: string(ActionConfigChanged)}, Page{})
		if err != nil {
			t.Fatal(err)
		}
		if s.changed {
			entries++
		}
		if len(l.Entries) != entries {
			t.Fatalf("%s: %d config_changed entries, want %d", s.name, len(l.Entries), entries)
		}
		if !s.changed {
			continue
		}
		e := l.Entries[0]
		want, _ := json.Marshal(s.summary)
		if string(e.After) != string(want) || string(e.Before) != s.before || e.Actor.Subject != SystemSubject || e.Outcome != Success {
			t.Fatalf("%s: entry before %s after %s, want before %s after %s", s.name, e.Before, e.After, s.before, want)
		}
	}
	if r, err := Verify(t.Context(), pool); err != nil || !r.Intact() || r.Entries != 3 {
		t.Fatalf("chain: %+v, %v", r, err)
	}
}

func TestSummarizeConfigHasNoSecrets(t *testing.T) {
	secrets := []string{"cluster-secret-key", "oidc-client-secret", "db-password", "metrics-token", "ssl-key-password"}
	cfg := config.Config{
		Addr:        ":8080",
		DatabaseURL: "postgres://lagboard:db-password@db.internal:5433/lagboard?sslmode=require&sslpassword=ssl-key-password",
		Clusters: []config.Cluster{{Name: "prod", NamesrvAddrs: []string{"10.0.0.1:9876", "10.0.0.2:9876"},
			ClusterOptions: config.ClusterOptions{PollInterval: 10 * time.Second, AccessKey: "lagboard-ro", SecretKey: "cluster-secret-key", TLS: "on"}}},
		HealthWindow: 5 * time.Minute, MetricsToken: "metrics-token",
		Auth: config.Auth{OIDC: config.OIDC{Issuer: "https://idp.test", ClientID: "lagboard", ClientSecret: "oidc-client-secret",
			RedirectURL: "https://lagboard.test/auth/callback", Scopes: []string{"openid"}, GroupsClaim: "groups", NameClaim: "name"},
			PolicyFile: "/etc/lagboard/policy.yaml", CookieSecure: true, SessionIdleTimeout: time.Hour, SessionLifetime: 8 * time.Hour},
		Audit:  config.Audit{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		Alerts: config.Alerts{PublicURL: "https://lagboard.test", Repeat: 4 * time.Hour, GiveUpAfter: 24 * time.Hour, DrainWindow: 5 * time.Minute},
	}
	b, err := json.Marshal(SummarizeConfig(cfg, "abc123"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Errorf("summary holds the secret %q: %s", s, b)
		}
	}
	for _, want := range []string{`"host":"db.internal"`, `"port":"5433"`, `"user":"lagboard"`, `"name_servers":["10.0.0.1:9876","10.0.0.2:9876"]`,
		`"poll_interval":"10s"`, `"access_key":"lagboard-ro"`, `"tls":"on"`, `"client_id":"lagboard"`, `"policy_sha256":"abc123"`,
		`"trusted_proxies":["10.0.0.0/8"]`, `"metrics_token_set":true`, `"session_idle_timeout":"1h0m0s"`,
		`"alerts":{"public_url":"https://lagboard.test","repeat_interval":"4h0m0s","give_up_after":"24h0m0s","drain_window":"5m0s"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary lacks %s: %s", want, b)
		}
	}
}
