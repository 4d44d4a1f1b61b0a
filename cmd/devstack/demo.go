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
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/lagboard/lagboard/internal/demo"
	"github.com/lagboard/lagboard/internal/devidp"
	"github.com/lagboard/lagboard/internal/stack"
)

// runDemo runs the dashboard on a local stack with demo traffic until ctx is cancelled.
func runDemo(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("demo takes no arguments (set LAGBOARD_ADDR to choose the dashboard's address)")
	}
	root, err := stack.RepoRoot()
	if err != nil {
		return err
	}
	versions, err := stack.Versions()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	webBin := filepath.Join(filepath.Dir(exe), "web")
	if _, err := os.Stat(webBin); err != nil {
		return fmt.Errorf("%s not found: build it first (make build)", webBin)
	}
	addr, err := dashboardAddr(os.Getenv("LAGBOARD_ADDR"))
	if err != nil {
		return err
	}
	logDir, err := os.MkdirTemp("", "lagboard-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(logDir)
	logf, err := os.Create(filepath.Join(logDir, "demo.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	logger := slog.New(slog.NewJSONHandler(logf, nil))
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "devstack: "+format+"\n", a...) }

	say("starting Postgres, Alertmanager and RocketMQ %s (first start resolves nothing: jars come from scripts/deps.sh)", versions[0])
	var (
		pg  *stack.Postgres
		am  *stack.Alertmanager
		rmq *stack.RocketMQ
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { pg, err = stack.StartPostgres(gctx); return err })
	g.Go(func() (err error) { am, err = stack.StartAlertmanager(gctx); return err })
	g.Go(func() (err error) {
		rmq, err = stack.StartRocketMQ(gctx, stack.RocketMQOptions{Version: versions[0]})
		return err
	})
	err = g.Wait()
	if pg != nil {
		defer pg.Stop() //nolint:errcheck // best effort on the way out
	}
	if am != nil {
		defer am.Stop() //nolint:errcheck // best effort on the way out
	}
	if rmq != nil {
		defer rmq.Stop() //nolint:errcheck // best effort on the way out
	}
	if err != nil {
		return err
	}
	if err := createDatabase(ctx, pg.URL("postgres"), "lagboard"); err != nil {
		return err
	}

	idpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	issuer := "http://" + idpLn.Addr().String()
	dashURL := "http://" + addr
	idp, err := devidp.New(ctx, devidp.Config{
		Issuer:  issuer,
		Users:   devidp.DemoUsers(),
		Clients: []devidp.Client{devidp.DemoClient(dashURL + "/auth/callback")},
		Logger:  logger,
	})
	if err != nil {
		return err
	}
	idpSrv := &http.Server{Handler: idp, ReadHeaderTimeout: 10 * time.Second}

	// The dashboard discovers the provider at start, so the provider serves first. On an
	// early return the deferred function stops it and waits for its goroutines.
	gparent, stopAll := context.WithCancel(ctx)
	g, gctx = errgroup.WithContext(gparent)
	defer func() { stopAll(); g.Wait() }() //nolint:errcheck // the error was returned already
	g.Go(func() error {
		if err := idpSrv.Serve(idpLn); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 5*time.Second)
		defer cancel()
		return idpSrv.Shutdown(sctx)
	})

	web, err := stack.StartProcess(stack.ProcessSpec{
		Name: "web",
		Path: webBin,
		Env: append(os.Environ(),
			"DATABASE_URL="+pg.URL("lagboard"),
			"LAGBOARD_ADDR="+addr,
			"LAGBOARD_CLUSTERS=local="+rmq.NamesrvAddr,
			"LAGBOARD_OIDC_ISSUER="+issuer,
			"LAGBOARD_OIDC_CLIENT_ID="+devidp.DemoClientID,
			"LAGBOARD_OIDC_CLIENT_SECRET="+devidp.DemoClientSecret,
			"LAGBOARD_OIDC_REDIRECT_URL="+dashURL+"/auth/callback",
			"LAGBOARD_COOKIE_SECURE=false", // plain http on loopback
			"LAGBOARD_CLUSTER_LOCAL_RESEND_DEAD_LETTERS=on",
			"LAGBOARD_POLICY_FILE="+filepath.Join(root, "deploy", "dev", "policy.yaml"),
		),
		LogPath: filepath.Join(logDir, "web.log"),
	})
	if err != nil {
		return err
	}
	defer web.Stop(20 * time.Second) //nolint:errcheck // best effort on the way out
	if err := waitHTTP(ctx, web, dashURL+"/readyz"); err != nil {
		return err
	}
	if err := demoRules(ctx, pg.URL("lagboard"), dashURL, am.URL()); err != nil {
		return err
	}

	g.Go(func() error { return runTraffic(gctx, rmq.NamesrvAddr, rmq.BrokerAddr, rmq.ProxyAddr, logger) })
	g.Go(func() error {
		select {
		case <-web.Done():
			return fmt.Errorf("the dashboard exited: %v\n%s", web.ExitErr(), web.Tail(20))
		case <-gctx.Done():
			return nil
		}
	})

	banner(stdout, dashURL, issuer, am.URL(), rmq, logDir)
	err = g.Wait()
	say("stopping")
	if ctx.Err() != nil {
		return nil // Ctrl-C is how the demo ends
	}
	return err
}

func banner(w io.Writer, dashURL, issuer, amURL string, rmq *stack.RocketMQ, logDir string) {
	fmt.Fprintf(w, "\n  Lagboard is running: %s\n\n", dashURL)
	fmt.Fprintf(w, "  RocketMQ %s   name server %s   broker %s   proxy (gRPC) %s\n", rmq.Version, rmq.NamesrvAddr,
		rmq.BrokerAddr, rmq.ProxyAddr)
	fmt.Fprintf(w, "  Alertmanager   %s   the demo's alert rules send here (%s/alerts)\n", amURL, dashURL)
	fmt.Fprintf(w, "  Dev sign-in    %s   users (password lagboard-<user>):\n", issuer)
	var names []string
	for _, u := range devidp.DemoUsers() {
		names = append(names, u.Username)
	}
	fmt.Fprintf(w, "                 %s\n", strings.Join(names, ", "))
	fmt.Fprintf(w, "  Demo groups:\n")
	for _, g := range demo.Groups {
		fmt.Fprintf(w, "    %-24s %s\n", g.Name, g.About)
	}
	fmt.Fprintf(w, "  Logs           %s\n\n  Ctrl-C stops everything.\n\n", logDir)
}

// dashboardAddr returns want, or 127.0.0.1:8080 when free, or else a free port.
func dashboardAddr(want string) (string, error) {
	if want != "" {
		return want, nil
	}
	if l, err := net.Listen("tcp", "127.0.0.1:8080"); err == nil {
		l.Close()
		return "127.0.0.1:8080", nil
	}
	p, err := stack.FreePort()
	return fmt.Sprintf("127.0.0.1:%d", p), err
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// waitHTTP polls url until it answers 200 or the process exits.
func waitHTTP(ctx context.Context, p *stack.Process, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%s exited during start-up: %v\n%s", p.Name(), p.ExitErr(), p.Tail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s: %w\n%s", p.Name(), url, ctx.Err(), p.Tail(20))
		case <-tick.C:
		}
	}
}

func runTraffic(ctx context.Context, namesrv, broker, proxy string, logger *slog.Logger) error {
	return demo.Run(ctx, demo.Config{NamesrvAddr: namesrv, BrokerAddr: broker, ProxyAddr: proxy, Logger: logger})
}
