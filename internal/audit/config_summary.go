package audit

import (
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lagboard/lagboard/internal/config"
)

// ConfigSummary is the effective configuration as config_changed entries record it: every
// setting that changes what the server does or who may do what, and no secret. Secrets
// (cluster secret keys, the OpenID client secret, the database password, the metrics
// token) appear, at most, as whether they are set.
type ConfigSummary struct {
	Addr            string           `json:"addr"`
	Database        DatabaseSummary  `json:"database"`
	Clusters        []ClusterSummary `json:"clusters"`
	HealthWindow    string           `json:"health_window"`
	LogLevel        string           `json:"log_level"`
	ShutdownTimeout string           `json:"shutdown_timeout"`
	StartupTimeout  string           `json:"startup_timeout"`
	Auth            AuthSummary      `json:"auth"`
	TrustedProxies  []string         `json:"trusted_proxies"`
	MetricsTokenSet bool             `json:"metrics_token_set"`
	Alerts          AlertsSummary    `json:"alerts"`
}

// AlertsSummary is the alerting configuration (alert rules themselves are audited one by
// one as they change).
type AlertsSummary struct {
	PublicURL   string `json:"public_url"`
	Repeat      string `json:"repeat_interval"`
	GiveUpAfter string `json:"give_up_after"`
	DrainWindow string `json:"drain_window"`
}

// DatabaseSummary is where the server keeps its data, without the password.
type DatabaseSummary struct {
	Host string `json:"host"`
	Port string `json:"port"`
	Name string `json:"name"`
	User string `json:"user"`
}

// ClusterSummary is one watched cluster. AccessKey names the RocketMQ ACL account; its
// secret key is never recorded.
type ClusterSummary struct {
	Name         string   `json:"name"`
	NameServers  []string `json:"name_servers"`
	PollInterval string   `json:"poll_interval"`
	TLS          string   `json:"tls"`
	AccessKey    string   `json:"access_key"`
}

// AuthSummary is sign-in and the access policy, without the client secret. PolicySHA256
// identifies the policy file's contents (the policy_reloaded entries carry the same).
type AuthSummary struct {
	Issuer             string   `json:"issuer"`
	ClientID           string   `json:"client_id"`
	RedirectURL        string   `json:"redirect_url"`
	Scopes             []string `json:"scopes"`
	GroupsClaim        string   `json:"groups_claim"`
	NameClaim          string   `json:"name_claim"`
	PolicyFile         string   `json:"policy_file"`
	PolicySHA256       string   `json:"policy_sha256"`
	CookieSecure       bool     `json:"cookie_secure"`
	SessionIdleTimeout string   `json:"session_idle_timeout"`
	SessionLifetime    string   `json:"session_lifetime"`
	AnonymousRead      bool     `json:"anonymous_read"`
}

// SummarizeConfig returns the non-secret part of cfg; policyDigest is the SHA-256 of the
// policy in force (auth.Policy's Digest).
func SummarizeConfig(cfg config.Config, policyDigest string) ConfigSummary {
	s := ConfigSummary{
		Addr: cfg.Addr, Database: summarizeDatabase(cfg.DatabaseURL), Clusters: []ClusterSummary{},
		HealthWindow: cfg.HealthWindow.String(), LogLevel: cfg.LogLevel.String(),
		ShutdownTimeout: cfg.ShutdownTimeout.String(), StartupTimeout: cfg.StartupCheckTimeout.String(),
		TrustedProxies: []string{}, MetricsTokenSet: cfg.MetricsToken != "",
		Alerts: AlertsSummary{PublicURL: cfg.Alerts.PublicURL, Repeat: cfg.Alerts.Repeat.String(),
			GiveUpAfter: cfg.Alerts.GiveUpAfter.String(), DrainWindow: cfg.Alerts.DrainWindow.String()},
	}
	for _, c := range cfg.Clusters {
		s.Clusters = append(s.Clusters, ClusterSummary{Name: c.Name, NameServers: nonNil(c.NamesrvAddrs),
			PollInterval: c.PollInterval.String(), TLS: c.TLS, AccessKey: c.AccessKey})
	}
	a := cfg.Auth
	s.Auth = AuthSummary{
		Issuer: a.OIDC.Issuer, ClientID: a.OIDC.ClientID, RedirectURL: a.OIDC.RedirectURL,
		Scopes: nonNil(a.OIDC.Scopes), GroupsClaim: a.OIDC.GroupsClaim, NameClaim: a.OIDC.NameClaim,
		PolicyFile: a.PolicyFile, PolicySHA256: policyDigest, CookieSecure: a.CookieSecure,
		SessionIdleTimeout: a.SessionIdleTimeout.String(), SessionLifetime: a.SessionLifetime.String(),
		AnonymousRead: a.AnonymousRead,
	}
	for _, p := range cfg.Audit.TrustedProxies {
		s.TrustedProxies = append(s.TrustedProxies, p.String())
	}
	return s
}

// summarizeDatabase keeps host, port, database and user of a connection string, in URL
// or keyword form; never the password or other parameters (which may hold one).
func summarizeDatabase(url string) DatabaseSummary {
	c, err := pgconn.ParseConfig(url)
	if err != nil {
		return DatabaseSummary{}
	}
	return DatabaseSummary{Host: c.Host, Port: strconv.Itoa(int(c.Port)), Name: c.Database, User: c.User}
}
