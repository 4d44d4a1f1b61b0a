// Package alert tells people when consumer groups need them: rules scoped by cluster and
// group patterns decide, inside each poll's transaction, which health changes notify;
// notifications go through an outbox in Postgres to webhooks, Slack-compatible incoming
// webhooks and Prometheus Alertmanager, delivered at least once by one sender per
// deployment. docs/ALERTS.md describes rules, receivers and payloads.
package alert

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
)

// Receiver kinds.
const (
	Webhook      = "webhook"      // JSON, signed with HMAC-SHA256
	Slack        = "slack"        // a Slack-compatible incoming webhook
	Alertmanager = "alertmanager" // Prometheus Alertmanager's v2 API
)

// Triggers besides the health statuses: what made an alert fire.
const (
	TriggerExpired = "expired"  // messages expired before the group read them
	TriggerLag     = "lag"      // lag in messages at or above the rule's threshold
	TriggerLagTime = "lag_time" // lag in time at or above the rule's threshold
	TriggerDrain   = "drain"    // the backlog will not drain within the rule's span
	TriggerGone    = "gone"     // (resolution only) the group no longer exists
)

// Statuses are the health statuses a rule may fire on (OK never fires).
var Statuses = []string{"WARN", "STALL", "STOP", "REWIND", "OFFLINE", "UNKNOWN"}

// ReceiverKinds lists the receiver kinds, for forms.
var ReceiverKinds = []string{Webhook, Slack, Alertmanager}

// Limits of what a rule may hold.
const (
	maxName     = 100
	maxPatterns = 20
	maxURL      = 2000
	minSecret   = 16
	maxSecret   = 200
	minRepeat   = time.Minute
	maxDuration = 30 * 24 * time.Hour
)

// RuleInput is a rule as a form sends it, every field text.
type RuleInput struct {
	Name           string
	Enabled        bool
	Clusters       string // patterns separated by commas or spaces
	Groups         string
	Statuses       []string
	Expired        bool
	LagMessages    string // a whole number
	LagTime        string // a duration: 10m, 1h30m
	DrainWithin    string // a duration
	Hold           string // a duration; empty is 0
	Repeat         string // a duration; empty is the server's default
	ReceiverKind   string
	ReceiverURL    string
	ReceiverSecret string // empty keeps the stored secret when editing
}

// RuleInputFrom reads a posted rule form.
func RuleInputFrom(v url.Values) RuleInput {
	return RuleInput{
		Name: strings.TrimSpace(v.Get("name")), Enabled: v.Get("enabled") != "",
		Clusters: v.Get("clusters"), Groups: v.Get("consumer_groups"), Statuses: v["statuses"],
		Expired: v.Get("expired") != "", LagMessages: strings.TrimSpace(v.Get("lag_messages")),
		LagTime: strings.TrimSpace(v.Get("lag_time")), DrainWithin: strings.TrimSpace(v.Get("drain_within")),
		Hold: strings.TrimSpace(v.Get("hold")), Repeat: strings.TrimSpace(v.Get("repeat")),
		ReceiverKind: v.Get("receiver_kind"), ReceiverURL: strings.TrimSpace(v.Get("receiver_url")),
		ReceiverSecret: v.Get("receiver_secret"),
	}
}

// InputOf is a stored rule as its edit form shows it; the secret is never shown.
func InputOf(r storage.AlertRule) RuleInput {
	in := RuleInput{Name: r.Name, Enabled: r.Enabled, Clusters: strings.Join(r.Clusters, ", "),
		Groups: strings.Join(r.Groups, ", "), Statuses: r.Statuses, Expired: r.Expired,
		ReceiverKind: r.ReceiverKind, ReceiverURL: r.ReceiverURL}
	if r.LagMessages != nil {
		in.LagMessages = strconv.FormatInt(*r.LagMessages, 10)
	}
	in.LagTime = formatSeconds(r.LagSeconds)
	in.DrainWithin = formatSeconds(r.DrainWithinSeconds)
	if r.HoldSeconds > 0 {
		in.Hold = ShortDuration(time.Duration(r.HoldSeconds) * time.Second)
	}
	if r.RepeatSeconds != nil {
		in.Repeat = ShortDuration(time.Duration(*r.RepeatSeconds) * time.Second)
	}
	return in
}

// FieldError names the form field that is wrong and says how to fix it.
func FieldError(field, format string, args ...any) error {
	return errcode.Errorf(errcode.Invalid, "%s: %s", field, fmt.Sprintf(format, args...))
}

// Parse validates a rule form into a rule. The first problem found is returned, naming its
// field. stored is the rule being edited (nil for a new one): an empty secret keeps its own.
func (in RuleInput) Parse(stored *storage.AlertRule) (storage.AlertRule, error) {
	r := storage.AlertRule{Name: in.Name, Enabled: in.Enabled, Expired: in.Expired, ReceiverKind: in.ReceiverKind}
	switch {
	case in.Name == "":
		return r, FieldError("name", "is required")
	case utf8.RuneCountInString(in.Name) > maxName:
		return r, FieldError("name", "is longer than %d characters", maxName)
	}
	var err error
	if r.Clusters, err = patterns("clusters", in.Clusters); err != nil {
		return r, err
	}
	if r.Groups, err = patterns("consumer_groups", in.Groups); err != nil {
		return r, err
	}
	for _, s := range in.Statuses {
		if !slices.Contains(Statuses, s) {
			return r, FieldError("statuses", "%q is not one of %s", s, strings.Join(Statuses, ", "))
		}
		if !slices.Contains(r.Statuses, s) {
			r.Statuses = append(r.Statuses, s)
		}
	}
	if in.LagMessages != "" {
		n, err := strconv.ParseInt(strings.ReplaceAll(in.LagMessages, ",", ""), 10, 64)
		if err != nil || n <= 0 {
			return r, FieldError("lag_messages", "%q is not a whole number above 0, such as 10000", in.LagMessages)
		}
		r.LagMessages = &n
	}
	if r.LagSeconds, err = seconds("lag_time", in.LagTime); err != nil {
		return r, err
	}
	if r.DrainWithinSeconds, err = seconds("drain_within", in.DrainWithin); err != nil {
		return r, err
	}
	if len(r.Statuses) == 0 && !r.Expired && r.LagMessages == nil && r.LagSeconds == nil && r.DrainWithinSeconds == nil {
		return r, FieldError("statuses", "choose at least one trigger: a status, expired messages, a lag threshold or a time to drain")
	}
	hold, err := duration("hold", in.Hold, 0)
	if err != nil {
		return r, err
	}
	r.HoldSeconds = int32(hold / time.Second)
	if in.Repeat != "" {
		rep, err := duration("repeat", in.Repeat, minRepeat)
		if err != nil {
			return r, err
		}
		s := int32(rep / time.Second)
		r.RepeatSeconds = &s
	}
	if !slices.Contains(ReceiverKinds, in.ReceiverKind) {
		return r, FieldError("receiver_kind", "%q is not one of %s", in.ReceiverKind, strings.Join(ReceiverKinds, ", "))
	}
	if r.ReceiverURL, err = receiverURL(in.ReceiverURL); err != nil {
		return r, err
	}
	r.ReceiverSecret = in.ReceiverSecret
	if r.ReceiverSecret == "" && stored != nil && stored.ReceiverKind == Webhook {
		r.ReceiverSecret = stored.ReceiverSecret
	}
	switch {
	case r.ReceiverKind != Webhook:
		r.ReceiverSecret = ""
	case r.ReceiverSecret == "":
		return r, FieldError("receiver_secret", "is required for a webhook: receivers check each request's HMAC-SHA256 signature with it")
	case len(r.ReceiverSecret) < minSecret || len(r.ReceiverSecret) > maxSecret:
		return r, FieldError("receiver_secret", "must be %d to %d characters long", minSecret, maxSecret)
	}
	return r, nil
}

// patterns splits a list of glob patterns and checks each.
func patterns(field, s string) ([]string, error) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if len(parts) == 0 {
		return nil, FieldError(field, `is required: one or more patterns such as prod-* or payments-orders ("*" for all)`)
	}
	if len(parts) > maxPatterns {
		return nil, FieldError(field, "has more than %d patterns", maxPatterns)
	}
	var out []string
	for _, p := range parts {
		if err := auth.CheckPattern(p); err != nil {
			return nil, FieldError(field, "pattern %q %v", p, err)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// duration parses a positive span such as 90s, 10m or 1h30m, at least least.
func duration(field, s string, least time.Duration) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil || d < 0:
		return 0, FieldError(field, "%q is not a duration such as 90s, 10m or 1h30m", s)
	case d < least:
		return 0, FieldError(field, "must be at least %s", ShortDuration(least))
	case d > maxDuration:
		return 0, FieldError(field, "must be at most %s", ShortDuration(maxDuration))
	case d%time.Second != 0:
		return 0, FieldError(field, "%q is not a whole number of seconds", s)
	}
	return d, nil
}

func seconds(field, s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	d, err := duration(field, s, time.Second)
	if err != nil {
		return nil, err
	}
	v := d.Seconds()
	return &v, nil
}

// receiverURL accepts an absolute http or https URL with a host, and nothing else: no
// file:, no javascript:, no relative paths.
func receiverURL(s string) (string, error) {
	if s == "" {
		return "", FieldError("receiver_url", "is required")
	}
	if len(s) > maxURL {
		return "", FieldError("receiver_url", "is longer than %d characters", maxURL)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", FieldError("receiver_url", "%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", FieldError("receiver_url", "must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		return "", FieldError("receiver_url", "has no host")
	case u.Fragment != "":
		return "", FieldError("receiver_url", "may not have a #fragment")
	}
	return u.String(), nil
}

// Triggers describes what a rule fires on, for people: "STALL, STOP or OFFLINE; lag in time
// ≥ 10 min".
func Triggers(r storage.AlertRule) string {
	var parts []string
	if len(r.Statuses) > 0 {
		parts = append(parts, orList(r.Statuses))
	}
	if r.Expired {
		parts = append(parts, "expired messages")
	}
	if r.LagMessages != nil {
		parts = append(parts, "lag ≥ "+thousands(*r.LagMessages)+" messages")
	}
	if r.LagSeconds != nil {
		parts = append(parts, "lag in time ≥ "+humanSeconds(*r.LagSeconds))
	}
	if r.DrainWithinSeconds != nil {
		parts = append(parts, "will not drain within "+humanSeconds(*r.DrainWithinSeconds))
	}
	s := strings.Join(parts, "; ")
	if r.HoldSeconds > 0 {
		s += ", held for " + humanSeconds(float64(r.HoldSeconds))
	}
	return s
}

func orList(items []string) string {
	switch len(items) {
	case 1:
		return items[0]
	default:
		return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
	}
}

func formatSeconds(s *float64) string {
	if s == nil {
		return ""
	}
	return ShortDuration(time.Duration(*s * float64(time.Second)))
}

// ShortDuration formats d as time.ParseDuration reads it, without zero units: 1h, 90s,
// 1h30m.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
