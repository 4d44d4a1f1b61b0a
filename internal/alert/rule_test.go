package alert

import (
	"net/url"
	"strings"
	"testing"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
)

func goodForm() url.Values {
	return url.Values{
		"name": {"payments stalled"}, "enabled": {"on"}, "clusters": {"prod-*, staging"}, "consumer_groups": {"payments-*"},
		"statuses": {"STALL", "STOP"}, "lag_time": {"10m"}, "drain_within": {"1h"}, "hold": {"2m"}, "repeat": {"30m"},
		"receiver_kind": {"webhook"}, "receiver_url": {"https://hooks.example.com/lagboard"},
		"receiver_secret": {"a-long-enough-secret"},
	}
}

func TestRuleParse(t *testing.T) {
	r, err := RuleInputFrom(goodForm()).Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "payments stalled" || !r.Enabled || strings.Join(r.Clusters, "|") != "prod-*|staging" ||
		strings.Join(r.Statuses, "|") != "STALL|STOP" || *r.LagSeconds != 600 || *r.DrainWithinSeconds != 3600 ||
		r.HoldSeconds != 120 || *r.RepeatSeconds != 1800 || r.ReceiverSecret != "a-long-enough-secret" {
		t.Errorf("parsed %+v", r)
	}
	if got := Triggers(r); got != "STALL or STOP; lag in time ≥ 10 min; will not drain within 1 h, held for 2 min" {
		t.Errorf("triggers %q", got)
	}
	// The edit form shows the rule as it was entered, without its secret; posting it back
	// with the secret left empty keeps the secret.
	in := InputOf(r)
	if in.LagTime != "10m" || in.DrainWithin != "1h" || in.Hold != "2m" || in.Repeat != "30m" || in.ReceiverSecret != "" {
		t.Errorf("form of the stored rule: %+v", in)
	}
	again, err := in.Parse(&r)
	if err != nil || again.ReceiverSecret != r.ReceiverSecret {
		t.Errorf("parsed back: %+v, %v", again, err)
	}
}

// TestRuleRefused: every malformed rule is refused with a message that names its field.
func TestRuleRefused(t *testing.T) {
	tests := []struct {
		field, value, want string
	}{
		{"name", "", `name: is required`},
		{"name", strings.Repeat("n", 101), `name: is longer than 100 characters`},
		{"clusters", "", `clusters: is required`},
		{"clusters", "pr?d", `clusters: pattern "pr?d" may use only "*" as a wildcard`},
		{"consumer_groups", "a[b]", `consumer_groups: pattern "a[b]" may use only "*"`},
		{"statuses", "BROKEN", `statuses: "BROKEN" is not one of WARN, STALL, STOP, REWIND, OFFLINE, UNKNOWN`},
		{"statuses", "OK", `statuses: "OK" is not one of`},
		{"lag_messages", "lots", `lag_messages: "lots" is not a whole number above 0`},
		{"lag_messages", "-5", `lag_messages: "-5" is not a whole number above 0`},
		{"lag_time", "ten minutes", `lag_time: "ten minutes" is not a duration such as 90s, 10m or 1h30m`},
		{"drain_within", "-1h", `drain_within: "-1h" is not a duration`},
		{"drain_within", "9000h", `drain_within: must be at most 720h`},
		{"hold", "1.5s", `hold: "1.5s" is not a whole number of seconds`},
		{"repeat", "10s", `repeat: must be at least 1m`},
		{"receiver_kind", "email", `receiver_kind: "email" is not one of webhook, slack, alertmanager`},
		{"receiver_url", "", `receiver_url: is required`},
		{"receiver_url", "file:///etc/passwd", `receiver_url: must start with http:// or https://`},
		{"receiver_url", "javascript:alert(1)", `receiver_url: must start with http:// or https://`},
		{"receiver_url", "ftp://example.com/x", `receiver_url: must start with http:// or https://`},
		{"receiver_url", "/relative/path", `receiver_url: must start with http:// or https://`},
		{"receiver_url", "http://", `receiver_url: has no host`},
		{"receiver_url", "https://example.com/#x", `receiver_url: may not have a #fragment`},
		{"receiver_secret", "", `receiver_secret: is required for a webhook`},
		{"receiver_secret", "short", `receiver_secret: must be 16 to 200 characters long`},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			f := goodForm()
			f.Set(tt.field, tt.value)
			_, err := RuleInputFrom(f).Parse(nil)
			if errcode.Code(err) != errcode.Invalid || !strings.HasPrefix(errcode.Message(err), tt.want) {
				t.Fatalf("error %v (%s), want %q", err, errcode.Code(err), tt.want)
			}
		})
	}
	t.Run("no trigger", func(t *testing.T) {
		f := goodForm()
		for _, k := range []string{"statuses", "lag_time", "drain_within"} {
			f.Del(k)
		}
		_, err := RuleInputFrom(f).Parse(nil)
		if !strings.HasPrefix(errcode.Message(err), "statuses: choose at least one trigger") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("secret only for webhooks", func(t *testing.T) {
		f := goodForm()
		f.Set("receiver_kind", "slack")
		r, err := RuleInputFrom(f).Parse(&storage.AlertRule{ReceiverKind: Webhook, ReceiverSecret: "old-secret-of-the-rule"})
		if err != nil || r.ReceiverSecret != "" {
			t.Fatalf("slack rule keeps a secret: %q, %v", r.ReceiverSecret, err)
		}
	})
}

func TestDisplayURL(t *testing.T) {
	tests := map[string][2]string{
		"https://hooks.slack.com/services/T0/B0/XYZsecret": {Slack, "https://hooks.slack.com/…"},
		"https://user:pw@hooks.example.com/in?token=abc#x": {Webhook, "https://hooks.example.com/in"},
		"http://am.internal:9093":                          {Alertmanager, "http://am.internal:9093"},
	}
	for raw, want := range tests {
		if got := DisplayURL(want[0], raw); got != want[1] {
			t.Errorf("DisplayURL(%s, %s) = %q, want %q", want[0], raw, got, want[1])
		}
	}
}
