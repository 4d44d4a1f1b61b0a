package config

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// Reset configures the offset reset workflow.
type Reset struct {
	// Expiry is how long a request may wait for approval and execution
	// (LAGBOARD_RESET_EXPIRY, default 24h).
	Expiry time.Duration
	// DriftTolerance is how many messages a queue may move between the preview and the
	// execution before execution is refused (LAGBOARD_RESET_DRIFT_TOLERANCE, default 1000).
	DriftTolerance int64
	// Approvals are the approvals required per cluster and group pattern
	// (LAGBOARD_RESET_APPROVALS), first match wins; default one.
	Approvals []ApprovalRule
	// VerifyWindow is how long after execution verification watches queues whose clients
	// were online, for a commit of the offset they had before the reset
	// (LAGBOARD_RESET_VERIFY_WINDOW, default 1m, from 10s to 1h). It must cover the
	// clients' commit interval and rebalance; see docs/RESETS.md.
	VerifyWindow time.Duration
}

// ApprovalRule requires Count approvals on clusters and groups matching the glob patterns.
type ApprovalRule struct {
	Cluster, Group string
	Count          int
}

// Reset variables.
const (
	EnvResetExpiry    = "LAGBOARD_RESET_EXPIRY"
	EnvResetDrift     = "LAGBOARD_RESET_DRIFT_TOLERANCE"
	EnvResetApprovals = "LAGBOARD_RESET_APPROVALS"
	EnvResetVerify    = "LAGBOARD_RESET_VERIFY_WINDOW"
)

// loadReset reads the reset variables into cfg.
func loadReset(getenv func(string) string, cfg *Config) []error {
	var errs []error
	cfg.Reset = Reset{Expiry: 24 * time.Hour, DriftTolerance: 1000, VerifyWindow: time.Minute}
	if v := getenv(EnvResetExpiry); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration of a minute or more, such as 24h", EnvResetExpiry, v))
		} else {
			cfg.Reset.Expiry = d
		}
	}
	if v := getenv(EnvResetDrift); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a number of messages (0 or more)", EnvResetDrift, v))
		} else {
			cfg.Reset.DriftTolerance = n
		}
	}
	if v := getenv(EnvResetVerify); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second || d > time.Hour {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration from 10s to 1h, such as 1m", EnvResetVerify, v))
		} else {
			cfg.Reset.VerifyWindow = d
		}
	}
	rules, err := ParseApprovals(getenv(EnvResetApprovals))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvResetApprovals, err))
	}
	cfg.Reset.Approvals = rules
	return errs
}

// ParseApprovals parses comma-separated cluster/group=count rules with glob patterns, such
// as prod/payments-*=2,prod/*=1.
func ParseApprovals(v string) ([]ApprovalRule, error) {
	var out []ApprovalRule
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		scope, count, ok := strings.Cut(entry, "=")
		cluster, group, ok2 := strings.Cut(scope, "/")
		n, err := strconv.Atoi(strings.TrimSpace(count))
		if !ok || !ok2 || err != nil || n < 1 || n > 10 {
			return nil, fmt.Errorf("entry %d %q is not cluster/group=count with a count from 1 to 10, such as prod/payments-*=2", i+1, entry)
		}
		r := ApprovalRule{Cluster: strings.TrimSpace(cluster), Group: strings.TrimSpace(group), Count: n}
		for _, p := range []string{r.Cluster, r.Group} {
			if _, err := path.Match(p, ""); p == "" || err != nil {
				return nil, fmt.Errorf("entry %d %q: %q is not a glob pattern", i+1, entry, p)
			}
		}
		out = append(out, r)
	}
	return out, nil
}
