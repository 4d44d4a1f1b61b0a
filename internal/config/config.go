// Package config loads Lagboard's configuration from environment variables and validates it
// at start, so a bad value stops the program with a message naming the variable.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is everything the server needs, loaded once in run and passed down.
type Config struct {
	// Addr is the listen address of the HTTP server (LAGBOARD_ADDR).
	Addr string
	// DatabaseURL is the Postgres connection string (DATABASE_URL).
	DatabaseURL string
	// Clusters are the RocketMQ clusters to watch (LAGBOARD_CLUSTERS).
	Clusters []Cluster
	// LogLevel is the minimum level logged (LAGBOARD_LOG_LEVEL).
	LogLevel slog.Level
	// ShutdownTimeout bounds how long in-flight requests may take after SIGTERM
	// (LAGBOARD_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// StartupCheckTimeout bounds the start-up checks of Postgres and the name servers
	// (LAGBOARD_STARTUP_TIMEOUT).
	StartupCheckTimeout time.Duration
	// Auth is sign-in, sessions and the access policy (see auth.go).
	Auth Auth
	// Audit is what the audit trail needs to know (see audit.go).
	Audit Audit
	// Reset configures the offset reset workflow (see reset.go).
	Reset Reset
	// HealthWindow is how far back health is judged (LAGBOARD_HEALTH_WINDOW).
	HealthWindow time.Duration
	// MetricsToken, when set, is the bearer token /metrics requires (LAGBOARD_METRICS_TOKEN).
	MetricsToken string
	// Alerts configures alerting and time to drain (see alerts.go).
	Alerts Alerts
	// DebugAddr, when set, is a second listener serving Go's profiles under /debug/pprof/,
	// unauthenticated: a loopback address only (LAGBOARD_DEBUG_ADDR).
	DebugAddr string
}

// Cluster is one RocketMQ cluster, reached through its name servers.
type Cluster struct {
	// Name identifies the cluster in pages, URLs and grants.
	Name string
	// NamesrvAddrs are host:port addresses of the name servers, tried in order.
	NamesrvAddrs []string
	ClusterOptions
}

// Variable names, in one place so messages and docs agree.
const (
	EnvAddr            = "LAGBOARD_ADDR"
	EnvDatabaseURL     = "DATABASE_URL"
	EnvClusters        = "LAGBOARD_CLUSTERS"
	EnvLogLevel        = "LAGBOARD_LOG_LEVEL"
	EnvShutdownTimeout = "LAGBOARD_SHUTDOWN_TIMEOUT"
	EnvStartupTimeout  = "LAGBOARD_STARTUP_TIMEOUT"
	EnvMetricsToken    = "LAGBOARD_METRICS_TOKEN"
	EnvDebugAddr       = "LAGBOARD_DEBUG_ADDR"
)

var clusterName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Load reads the configuration through getenv and validates it. The error lists every
// problem found, each naming its variable.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	cfg := Config{
		Addr:                orDefault(getenv(EnvAddr), "127.0.0.1:8080"),
		DatabaseURL:         strings.TrimSpace(getenv(EnvDatabaseURL)),
		MetricsToken:        strings.TrimSpace(getenv(EnvMetricsToken)),
		DebugAddr:           strings.TrimSpace(getenv(EnvDebugAddr)),
		ShutdownTimeout:     15 * time.Second,
		StartupCheckTimeout: 10 * time.Second,
	}

	if _, port, err := net.SplitHostPort(cfg.Addr); err != nil {
		bad(EnvAddr, "%q is not host:port (for example 127.0.0.1:8080 or :8080)", cfg.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad(EnvAddr, "port %q is not a number from 0 to 65535", port)
	}

	if cfg.DebugAddr != "" {
		if host, _, err := net.SplitHostPort(cfg.DebugAddr); err != nil {
			bad(EnvDebugAddr, "%q is not host:port (for example 127.0.0.1:6060)", cfg.DebugAddr)
		} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			bad(EnvDebugAddr, "%q is not a loopback address: the profiles are served to anyone who can reach it", cfg.DebugAddr)
		}
	}

	if cfg.DatabaseURL == "" {
		bad(EnvDatabaseURL, "is required (a Postgres URL such as postgres://lagboard:secret@127.0.0.1:5432/lagboard)")
	} else if err := checkDatabaseURL(cfg.DatabaseURL); err != nil {
		bad(EnvDatabaseURL, "%v", err)
	}

	clusters, err := ParseClusters(getenv(EnvClusters))
	if err != nil {
		bad(EnvClusters, "%v", err)
	}
	cfg.Clusters = clusters

	if v := getenv(EnvLogLevel); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			bad(EnvLogLevel, "%q is not one of debug, info, warn, error", v)
		}
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{EnvShutdownTimeout, &cfg.ShutdownTimeout},
		{EnvStartupTimeout, &cfg.StartupCheckTimeout},
	}
	for _, d := range durations {
		v := getenv(d.name)
		if v == "" {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			bad(d.name, "%q is not a positive duration such as 15s or 1m", v)
			continue
		}
		*d.dst = parsed
	}
	errs = append(errs, loadClusterOptions(getenv, &cfg)...)
	errs = append(errs, loadAudit(getenv, &cfg)...)
	errs = append(errs, loadReset(getenv, &cfg)...)
	auth, authErrs := loadAuth(getenv)
	cfg.Auth, errs = auth, append(errs, authErrs...)
	errs = append(errs, loadAlerts(getenv, &cfg)...)
	return cfg, errors.Join(errs...)
}

// ParseClusters parses LAGBOARD_CLUSTERS: comma-separated entries of the form
// name=host:port, with several name servers of one cluster separated by semicolons:
//
//	prod=10.0.0.1:9876;10.0.0.2:9876,staging=10.1.0.1:9876
func ParseClusters(v string) ([]Cluster, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, errors.New("is required: name=host:port entries separated by commas, for example prod=10.0.0.1:9876;10.0.0.2:9876")
	}
	var out []Cluster
	seen := map[string]bool{}
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		name, addrs, ok := strings.Cut(entry, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("entry %d %q: want name=host:port", i+1, entry)
		}
		if !clusterName.MatchString(name) {
			return nil, fmt.Errorf("entry %d: cluster name %q must be lower-case letters, digits, - or _ (at most 63)", i+1, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("entry %d: cluster %q is listed twice", i+1, name)
		}
		seen[name] = true
		c := Cluster{Name: name}
		for _, a := range strings.Split(addrs, ";") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			host, port, err := net.SplitHostPort(a)
			n, perr := strconv.Atoi(port)
			if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
				return nil, fmt.Errorf("cluster %q: name server %q is not host:port", name, a)
			}
			c.NamesrvAddrs = append(c.NamesrvAddrs, a)
		}
		if len(c.NamesrvAddrs) == 0 {
			return nil, fmt.Errorf("cluster %q: no name server address", name)
		}
		out = append(out, c)
	}
	return out, nil
}

func checkDatabaseURL(v string) error {
	if strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") {
		if _, err := url.Parse(v); err != nil {
			return errors.New("is not a valid URL")
		}
		return nil
	}
	if strings.Contains(v, "=") {
		return nil // keyword/value form: host=... dbname=...
	}
	return errors.New("is neither a postgres:// URL nor a keyword=value connection string")
}

// Redacted returns a database URL with its password removed, for logs and errors.
func Redacted(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.User == nil {
		return databaseURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}
