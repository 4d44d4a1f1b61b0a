package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/apitoken"
	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/discovery"
	"github.com/lagboard/lagboard/internal/freeze"
	lbhttp "github.com/lagboard/lagboard/internal/http"
	"github.com/lagboard/lagboard/internal/inspect"
	"github.com/lagboard/lagboard/internal/metrics"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/static"
)

// serve checks every dependency, then runs the HTTP server and background loops until ctx
// is cancelled. Every goroutine it starts belongs to one errgroup.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))

	startCtx, cancel := context.WithTimeout(ctx, cfg.StartupCheckTimeout)
	defer cancel()
	pool, migs, err := openDatabase(startCtx, logger, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	eval := &alert.Evaluator{BaseURL: cfg.Alerts.PublicURL, Repeat: cfg.Alerts.Repeat, Logger: logger.With("component", "alert")}
	clusters, err := newClusters(startCtx, cfg, pool, eval, logger)
	if err != nil {
		return err
	}
	defer clusters.close()
	dir := discovery.New(clusters.targets())
	if err := dir.Check(startCtx); err != nil {
		return fmt.Errorf("%s: %w", config.EnvClusters, err)
	}

	trail := audit.NewRecorder(audit.RecorderOptions{Pool: pool, Logger: logger, GroupsClaim: cfg.Auth.OIDC.GroupsClaim,
		TrustedProxies: cfg.Audit.TrustedProxies})
	authn, err := auth.New(startCtx, auth.Options{Config: cfg.Auth, Pool: pool, Logger: logger, Denials: trail, Events: trail})
	if err != nil {
		return err
	}
	if _, err := audit.RecordConfig(startCtx, pool, audit.SummarizeConfig(cfg, authn.Policy().Digest)); err != nil {
		return err
	}
	var rules []reset.ApprovalRule
	for _, r := range cfg.Reset.Approvals {
		rules = append(rules, reset.ApprovalRule{Cluster: r.Cluster, Group: r.Group, Count: r.Count})
	}
	sender := alert.NewSender(alert.SenderOptions{Pool: pool, Logger: logger.With("component", "alert"),
		BaseURL: cfg.Alerts.PublicURL, GiveUpAfter: cfg.Alerts.GiveUpAfter})
	freezes := freeze.New(pool, nil)
	resets := reset.New(reset.Options{Pool: pool, Clusters: clusters.resetClusters(), Logger: logger.With("component", "reset"),
		Expiry: cfg.Reset.Expiry, DriftTolerance: cfg.Reset.DriftTolerance, Approvals: rules, VerifyWindow: cfg.Reset.VerifyWindow,
		Freezes: freezes})
	// SIGHUP reloads the access policy; registered before listening so that a reload sent
	// once the server is up is never taken for a hang-up that ends the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	assets, err := static.New()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("%s: cannot listen on %s: %w", config.EnvAddr, cfg.Addr, listenCause(err))
	}
	warnOpenMetrics(logger, ln.Addr(), cfg.MetricsToken)
	srv := &http.Server{
		Handler: lbhttp.New(lbhttp.Deps{
			Logger:       logger,
			Assets:       assets,
			Readiness:    storage.Readiness{Pool: pool, Migrations: migs},
			Version:      version,
			Auth:         authn,
			Metrics:      metricsHandler(pool, clusters.pollers, metrics.Alerts{Sender: sender, Evaluator: eval}, logger),
			MetricsToken: cfg.MetricsToken,
			Store:        pool,
			Audit:        pool,
			Watched:      watched(cfg.Clusters),
			Resets:       resets,
			Trail:        trail,
			Messages:     inspect.New(clusters.inspectClusters(), trail),
			Tokens:       apitoken.New(pool),
			Alerts:       alert.NewService(pool, cfg.Alerts.PublicURL),
			AlertRepeat:  cfg.Alerts.Repeat,
			Freezes:      freezes,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return authn.Run(gctx, hup) })
	g.Go(func() error { return resets.Run(gctx) })
	g.Go(func() error { return sender.Run(gctx) })
	for _, p := range clusters.pollers {
		g.Go(func() error { return p.Run(gctx) })
	}
	if cfg.DebugAddr != "" {
		dbg, err := debugServer(cfg.DebugAddr, logger)
		if err != nil {
			return err
		}
		g.Go(func() error { return dbg.serve(gctx) })
	}
	compactor := poller.NewCompactor(poller.CompactorConfig{Pool: pool, Logger: logger})
	g.Go(func() error { return compactor.Run(gctx) })
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		logger.Info("stopping", "grace", cfg.ShutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("http shutdown: %w", err)
		}
		return nil
	})
	logger.Info("listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String(), "version", version,
		"clusters", len(cfg.Clusters))
	err = g.Wait()
	logger.Info("stopped")
	return err
}

// watched lists the configured clusters for the pages.
func watched(cs []config.Cluster) []lbhttp.WatchedCluster {
	out := make([]lbhttp.WatchedCluster, len(cs))
	for i, c := range cs {
		out[i] = lbhttp.WatchedCluster{Name: c.Name, PollInterval: c.PollInterval}
	}
	return out
}

// listenCause drops the "listen tcp" prefix the caller already says.
func listenCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
