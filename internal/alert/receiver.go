package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Headers of a webhook request.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderEvent          = "X-Lagboard-Event"
	HeaderTimestamp      = "X-Lagboard-Timestamp"
	HeaderSignature      = "X-Lagboard-Signature"
)

// WebhookBody is the JSON a webhook receives: the notification and the format's version.
type WebhookBody struct {
	Version int `json:"version"`
	Notification
}

// Sign returns the X-Lagboard-Signature value of a webhook request: "sha256=" and the hex
// HMAC-SHA256, keyed with the rule's secret, of the timestamp header, a dot and the body.
// Signing the timestamp lets receivers refuse old requests replayed.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook request's signature as a receiver would: in constant time, and
// only within maxAge of its timestamp.
func Verify(secret string, h http.Header, body []byte, now time.Time, maxAge time.Duration) error {
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("no valid " + HeaderTimestamp)
	}
	if age := now.Sub(time.Unix(sec, 0)); age > maxAge || age < -maxAge {
		return fmt.Errorf("timestamp %s is %s away from now", ts, age)
	}
	if !hmac.Equal([]byte(h.Get(HeaderSignature)), []byte(Sign(secret, ts, body))) {
		return errors.New("signature does not match")
	}
	return nil
}

// amAlert is an alert as Alertmanager's v2 API takes it (POST /api/v2/alerts).
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// amAlertOf is n as an Alertmanager alert. Labels name the alert (its rule, cluster and
// group), so a repeat or a refresh updates the same one; annotations say what is wrong.
// A firing alert ends at endsAt unless refreshed; a resolution ends it when it resolved.
func amAlertOf(n Notification, endsAt time.Time) amAlert {
	a := amAlert{
		Labels: map[string]string{"alertname": n.Rule, "source": "lagboard", "cluster": n.Cluster, "group": n.Group,
			"rule_id": strconv.FormatInt(n.RuleID, 10)},
		Annotations: map[string]string{"summary": n.Title(), "description": n.Summary, "trigger": n.Trigger},
		StartsAt:    n.Since.UTC(), EndsAt: endsAt.UTC(), GeneratorURL: n.URL,
	}
	if n.Status != "" {
		a.Annotations["status"] = n.Status
	}
	if n.URL != "" {
		a.Annotations["group_url"] = n.URL
	}
	if n.ResolvedAt != nil {
		a.EndsAt = n.ResolvedAt.UTC()
	}
	return a
}

// alertmanagerURL is the alerts endpoint of an Alertmanager given by its base URL (or the
// endpoint itself).
func alertmanagerURL(base string) string {
	if strings.HasSuffix(base, "/api/v2/alerts") {
		return base
	}
	return strings.TrimRight(base, "/") + "/api/v2/alerts"
}

// request builds the HTTP request delivering n to a receiver.
func request(ctx context.Context, kind, target, secret string, n Notification, now time.Time, ttl time.Duration) (*http.Request, error) {
	var (
		body []byte
		err  error
	)
	switch kind {
	case Webhook:
		body, err = json.Marshal(WebhookBody{Version: 1, Notification: n})
	case Slack:
		body, err = json.Marshal(map[string]string{"text": slackText(n)})
	case Alertmanager:
		target = alertmanagerURL(target)
		body, err = json.Marshal([]amAlert{amAlertOf(n, now.Add(ttl))})
	default:
		return nil, fmt.Errorf("unknown receiver kind %q", kind)
	}
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Lagboard")
	req.Header.Set(HeaderIdempotencyKey, n.ID)
	req.Header.Set(HeaderEvent, n.Kind)
	if kind == Webhook {
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	}
	return req, nil
}

// post sends req and returns an error saying what went wrong, without the URL's path,
// query or credentials (a Slack webhook's path is its secret).
func post(client *http.Client, kind string, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("POST %s: %v", DisplayURL(kind, req.URL.String()), err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := strings.Join(strings.Fields(string(excerpt)), " ")
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return fmt.Errorf("POST %s: %s: %s", DisplayURL(kind, req.URL.String()), resp.Status, msg)
	}
	return nil
}

// DisplayURL is a receiver URL safe to show and log: no credentials or query, and for Slack
// no path either (an incoming webhook's path is its secret).
func DisplayURL(kind, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	if kind == Slack && u.Path != "" && u.Path != "/" {
		return u.Scheme + "://" + u.Host + "/…"
	}
	return u.String()
}

// slackText is n as a Slack message, in its mrkdwn.
func slackText(n Notification) string {
	icon := ":rotating_light:"
	switch {
	case n.Kind == Resolved:
		icon = ":white_check_mark:"
	case n.Status == "WARN" || n.Trigger == TriggerDrain || n.Trigger == TriggerLag || n.Trigger == TriggerLagTime:
		icon = ":warning:"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s *%s*\n%s", icon, slackEscape(n.Title()), slackEscape(n.Summary))
	var facts []string
	if n.Lag != nil {
		facts = append(facts, "lag "+thousands(*n.Lag))
	}
	if n.LagSeconds != nil {
		facts = append(facts, "lag in time "+humanSeconds(*n.LagSeconds))
	}
	if n.Drain != nil && n.Kind != Resolved {
		facts = append(facts, "time to drain: "+slackEscape(n.Drain.Reason))
	}
	if len(facts) > 0 {
		b.WriteString("\n" + strings.Join(facts, " · "))
	}
	if n.URL != "" {
		fmt.Fprintf(&b, "\n<%s|Open %s in Lagboard>", n.URL, slackEscape(n.Group))
	}
	return b.String()
}

// slackEscape escapes what Slack's mrkdwn reads as markup.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
