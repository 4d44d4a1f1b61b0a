// Command devidp runs Lagboard's development OpenID provider (internal/devidp) for the local
// demo stack and manual testing.
//
//	go run ./cmd/devidp -client-redirect http://127.0.0.1:8080/auth/callback
//
// Without -config it serves the demo users (viewer, operator, operator2, approver, approver2,
// auditor, admin), each with the password "lagboard-<username>". -client-redirect registers
// the dashboard's client, id "lagboard" and secret "lagboard-dev-secret". Logs are JSON on
// stdout; once listening it logs one line with msg "listening" and the issuer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lagboard/lagboard/internal/devidp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "devidp:", err)
		os.Exit(1)
	}
}

// listFlag collects a flag given several times, each possibly a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// run parses args (args[0] is the program name), serves until ctx is done, then shuts down.
// getenv is unused: everything is set with flags.
func run(ctx context.Context, args []string, _ func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("devidp", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:5556", "listen address")
	issuer := fs.String("issuer", "", "issuer URL (default: the config file's, else http://<listen address>)")
	configPath := fs.String("config", "", "JSON file with users and clients (default: the demo users)")
	groupsInIDToken := fs.Bool("groups-in-id-token", true, "put the groups claim in ID tokens, not only in userinfo")
	var redirects, postLogout listFlag
	fs.Var(&redirects, "client-redirect", "redirect URL of the demo client \"lagboard\"; repeatable or comma-separated")
	fs.Var(&postLogout, "post-logout-redirect", "post-logout redirect URL of the demo client (default: each redirect URL's origin + \"/\"); repeatable or comma-separated")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	cfg := devidp.Config{Users: devidp.DemoUsers()}
	if *configPath != "" {
		var err error
		if cfg, err = devidp.LoadConfig(*configPath); err != nil {
			return err
		}
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "groups-in-id-token" {
			cfg.GroupsInIDToken = groupsInIDToken
		}
	})
	switch {
	case len(redirects) > 0:
		cfg.Clients = append(cfg.Clients, demoClient(redirects, postLogout))
	case len(postLogout) > 0:
		return errors.New("-post-logout-redirect needs -client-redirect")
	case len(cfg.Clients) == 0:
		return errors.New("no client: pass -client-redirect with the dashboard's OIDC callback URL, or define clients in -config")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if *issuer != "" {
		cfg.Issuer = *issuer
	} else if cfg.Issuer == "" {
		cfg.Issuer = "http://" + reachable(ln.Addr())
	}

	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	// The op package logs only through the default logger.
	prev := slog.Default()
	slog.SetDefault(logger)
	defer slog.SetDefault(prev)
	cfg.Logger = logger

	provider, err := devidp.New(ctx, cfg)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           accessLog(logger, provider),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "issuer", cfg.Issuer, "addr", ln.Addr().String(),
		"users", len(cfg.Users), "clients", len(cfg.Clients))

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	<-served
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// demoClient is the "lagboard" client for the given redirect URLs.
func demoClient(redirects, postLogout []string) devidp.Client {
	c := devidp.DemoClient(redirects[0])
	c.RedirectURIs = slices.Clone(redirects)
	if len(postLogout) > 0 {
		c.PostLogoutRedirectURIs = slices.Clone(postLogout)
		return c
	}
	c.PostLogoutRedirectURIs = nil
	for _, r := range redirects {
		if u, err := url.Parse(r); err == nil && u.Host != "" {
			if origin := u.Scheme + "://" + u.Host + "/"; !slices.Contains(c.PostLogoutRedirectURIs, origin) {
				c.PostLogoutRedirectURIs = append(c.PostLogoutRedirectURIs, origin)
			}
		}
	}
	return c
}

// reachable turns a listener address into one a browser can use: an unspecified host
// (0.0.0.0 or ::, both of which accept IPv4 loopback connections) becomes 127.0.0.1.
func reachable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// accessLog logs each request's method, path (never the query, which carries codes), status
// and duration.
func accessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
