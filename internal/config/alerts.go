package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Alerts configures alerting and time to drain (docs/ALERTS.md).
type Alerts struct {
	// PublicURL is the dashboard's address as people reach it, for the links notifications
	// carry (LAGBOARD_PUBLIC_URL; by default the origin of the OpenID redirect URL, else
	// http:// and LAGBOARD_ADDR).
	PublicURL string
	// Repeat is how often a firing alert nobody acknowledged is sent again, for rules that
	// do not say (LAGBOARD_ALERT_REPEAT_INTERVAL, default 4h).
	Repeat time.Duration
	// GiveUpAfter is how long a notification is retried before it is given up
	// (LAGBOARD_ALERT_GIVE_UP_AFTER, default 24h).
	GiveUpAfter time.Duration
	// DrainWindow is how far back time to drain looks (LAGBOARD_DRAIN_WINDOW, default 5m).
	DrainWindow time.Duration
}

// Alert variables.
const (
	EnvPublicURL        = "LAGBOARD_PUBLIC_URL"
	EnvAlertRepeat      = "LAGBOARD_ALERT_REPEAT_INTERVAL"
	EnvAlertGiveUpAfter = "LAGBOARD_ALERT_GIVE_UP_AFTER"
	EnvDrainWindow      = "LAGBOARD_DRAIN_WINDOW"
)

// loadAlerts reads the alert variables into cfg; the OpenID settings must be loaded.
func loadAlerts(getenv func(string) string, cfg *Config) []error {
	var errs []error
	cfg.Alerts = Alerts{Repeat: 4 * time.Hour, GiveUpAfter: 24 * time.Hour, DrainWindow: 5 * time.Minute}
	durations := []struct {
		name     string
		dst      *time.Duration
		min, max time.Duration
	}{
		{EnvAlertRepeat, &cfg.Alerts.Repeat, time.Minute, 30 * 24 * time.Hour},
		{EnvAlertGiveUpAfter, &cfg.Alerts.GiveUpAfter, time.Minute, 30 * 24 * time.Hour},
		{EnvDrainWindow, &cfg.Alerts.DrainWindow, 30 * time.Second, 24 * time.Hour},
	}
	for _, d := range durations {
		v := getenv(d.name)
		if v == "" {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed < d.min || parsed > d.max {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration from %s to %s", d.name, v, d.min, d.max))
			continue
		}
		*d.dst = parsed
	}
	v := strings.TrimSpace(getenv(EnvPublicURL))
	switch {
	case v != "":
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http:// or https:// URL such as https://lagboard.example.com", EnvPublicURL, v))
			break
		}
		cfg.Alerts.PublicURL = strings.TrimRight(u.String(), "/")
	case cfg.Auth.OIDC.RedirectURL != "":
		if u, err := url.Parse(cfg.Auth.OIDC.RedirectURL); err == nil {
			cfg.Alerts.PublicURL = u.Scheme + "://" + u.Host
		}
	default:
		cfg.Alerts.PublicURL = "http://" + cfg.Addr
	}
	return errs
}
