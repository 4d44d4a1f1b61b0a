package config

import (
	"fmt"
	"strings"
	"time"
)

// ClusterOptions are the per-cluster settings beyond the name servers. Each has a global
// default variable and a per-cluster override, LAGBOARD_CLUSTER_<NAME>_<SETTING>, where
// <NAME> is the cluster name in upper case with - turned into _.
type ClusterOptions struct {
	// PollInterval is the time between polls (LAGBOARD_POLL_INTERVAL, default 10s).
	PollInterval time.Duration
	// AccessKey and SecretKey sign requests for RocketMQ ACL (4.x) or authentication (5.3)
	// (..._ACCESS_KEY, ..._SECRET_KEY; both or neither).
	AccessKey, SecretKey string
	// TLS is "off", "on" (verify the broker's certificate) or "insecure" (skip the check, for
	// brokers using RocketMQ's built-in test certificate) (..._TLS, default off).
	TLS string
	// ResendDeadLetters lets people holding messages:resend send a dead letter back to its
	// group's retry topic (..._RESEND_DEAD_LETTERS, on or off, default off).
	ResendDeadLetters bool
}

// Global settings of the poller.
const (
	EnvPollInterval  = "LAGBOARD_POLL_INTERVAL"
	EnvHealthWindow  = "LAGBOARD_HEALTH_WINDOW"
	EnvClusterPrefix = "LAGBOARD_CLUSTER_"
)

// clusterEnv returns the override variable of a setting for one cluster.
func clusterEnv(cluster, setting string) string {
	return EnvClusterPrefix + strings.ToUpper(strings.ReplaceAll(cluster, "-", "_")) + "_" + setting
}

// loadClusterOptions fills each cluster's options and the health window.
func loadClusterOptions(getenv func(string) string, cfg *Config) []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	duration := func(name string, def, min time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < min {
			bad(name, "%q is not a duration of at least %s", v, min)
			return def
		}
		return d
	}
	interval := duration(EnvPollInterval, 10*time.Second, time.Second)
	cfg.HealthWindow = duration(EnvHealthWindow, 10*time.Minute, time.Minute)
	for i := range cfg.Clusters {
		c := &cfg.Clusters[i]
		c.PollInterval = duration(clusterEnv(c.Name, "POLL_INTERVAL"), interval, time.Second)
		ak, sk := clusterEnv(c.Name, "ACCESS_KEY"), clusterEnv(c.Name, "SECRET_KEY")
		c.AccessKey, c.SecretKey = getenv(ak), getenv(sk)
		if (c.AccessKey == "") != (c.SecretKey == "") {
			bad(ak, "set both %s and %s, or neither", ak, sk)
		}
		tlsVar := clusterEnv(c.Name, "TLS")
		switch c.TLS = strings.ToLower(getenv(tlsVar)); c.TLS {
		case "":
			c.TLS = "off"
		case "off", "on", "insecure":
		default:
			bad(tlsVar, "%q is not one of off, on, insecure", getenv(tlsVar))
		}
		resend := clusterEnv(c.Name, "RESEND_DEAD_LETTERS")
		switch v := strings.ToLower(getenv(resend)); v {
		case "", "off":
		case "on":
			c.ResendDeadLetters = true
		default:
			bad(resend, "%q is not on or off", getenv(resend))
		}
	}
	return errs
}
