package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/discovery"
	"github.com/lagboard/lagboard/internal/inspect"
	"github.com/lagboard/lagboard/internal/metrics"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/storage"
)

// clusters holds, for every configured cluster, its admin client (each cluster may have
// its own credentials and TLS) and its poller.
type clusters struct {
	cfg     []config.Cluster
	admins  []*mqadmin.Client
	pollers []*poller.Poller
}

// newClusters records the configured clusters and makes their pollers, each evaluating
// alerts with eval in its cycles.
func newClusters(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, eval *alert.Evaluator, logger *slog.Logger) (*clusters, error) {
	cs := &clusters{cfg: cfg.Clusters}
	for _, c := range cfg.Clusters {
		stored, err := storage.UpsertCluster(ctx, pool, c.Name, c.NamesrvAddrs)
		if err != nil {
			cs.close()
			return nil, err
		}
		admin := mqadmin.New(adminOptions(c, logger))
		cs.admins = append(cs.admins, admin)
		cs.pollers = append(cs.pollers, poller.New(poller.Config{
			Cluster: c.Name, ClusterID: stored.ID, NamesrvAddrs: c.NamesrvAddrs,
			Admin: admin, Pool: pool, Logger: logger.With("component", "poller"),
			Interval: c.PollInterval, Health: poller.HealthRules{Window: cfg.HealthWindow},
			DrainWindow: cfg.Alerts.DrainWindow, InCycle: eval.Step(c.Name),
		}))
	}
	return cs, nil
}

// adminOptions turns a cluster's settings into admin client options.
func adminOptions(c config.Cluster, logger *slog.Logger) mqadmin.Options {
	opts := mqadmin.Options{Logger: logger}
	if c.AccessKey != "" {
		opts.Credentials = mqadmin.Credentials{AccessKey: c.AccessKey, SecretKey: c.SecretKey}
	}
	switch c.TLS {
	case "on":
		opts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	case "insecure":
		opts.TLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for: RocketMQ's built-in test certificate
	}
	return opts
}

func (cs *clusters) targets() []discovery.Target {
	out := make([]discovery.Target, len(cs.cfg))
	for i, c := range cs.cfg {
		out[i] = discovery.Target{Cluster: c, Admin: cs.admins[i]}
	}
	return out
}

// inspectClusters are the clusters whose messages may be read, with their admin clients.
func (cs *clusters) inspectClusters() []inspect.Cluster {
	out := make([]inspect.Cluster, len(cs.cfg))
	for i, c := range cs.cfg {
		out[i] = inspect.Cluster{Name: c.Name, NamesrvAddrs: c.NamesrvAddrs, Admin: cs.admins[i], AllowResend: c.ResendDeadLetters}
	}
	return out
}

// resetClusters are the clusters the reset workflow may act on, with their admin clients.
func (cs *clusters) resetClusters() []reset.Cluster {
	out := make([]reset.Cluster, len(cs.cfg))
	for i, c := range cs.cfg {
		out[i] = reset.Cluster{Name: c.Name, NamesrvAddrs: c.NamesrvAddrs, Admin: cs.admins[i]}
	}
	return out
}

func (cs *clusters) close() {
	for _, a := range cs.admins {
		a.Close()
	}
}

// metricsHandler serves Go runtime, process and Lagboard metrics from a registry of its own.
func metricsHandler(db storage.DBTX, pollers []*poller.Poller, alerts metrics.Alerts, logger *slog.Logger) http.Handler {
	reg := prometheus.NewRegistry()
	col := metrics.New(db, pollers, logger).WithAlerts(alerts)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), col)
	return col.Handler(reg)
}
