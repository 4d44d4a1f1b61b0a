package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// startServer runs the whole program as main does, listening on a free port, and returns
// its base URL. When the test ends the program is cancelled and must stop cleanly.
func startServer(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, pw)
		pw.Close()
		errc <- err
	}()
	sc := bufio.NewScanner(pr)
	url := ""
	for url == "" && sc.Scan() {
		var line struct{ Msg, URL string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			url = line.URL
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("server did not start: %v", <-errc)
	}
	go io.Copy(io.Discard, pr) //nolint:errcheck // keep the server's log flowing
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("run returned %v after a clean stop", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not return within 30 s of cancellation")
		}
	})
	return url
}

// TestSmoke proves the stack is real: Postgres, a RocketMQ broker with messages from a
// real producer, and the dashboard seen through Chromium.
func TestSmoke(t *testing.T) {
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			rmq := stacktest.Broker(t, version)
			url := startServer(t, map[string]string{
				"DATABASE_URL":      stacktest.DatabaseURL(t),
				"LAGBOARD_CLUSTERS": "local=" + rmq.NamesrvAddr,
				"LAGBOARD_ADDR":     "127.0.0.1:0",
				// Sign-in is tested in auth_test.go; here the overview is read anonymously.
				"LAGBOARD_ANONYMOUS_READ": "true",
			})

			topic := stacktest.Name(t, "smoke")
			stacktest.CreateTopic(t, rmq, topic, 4)
			stacktest.Produce(t, rmq, topic, 10)
			admin := mqadmin.New(mqadmin.Options{})
			defer admin.Close()
			stats, err := admin.TopicStats(context.Background(), rmq.BrokerAddr, topic)
			if err != nil {
				t.Fatal(err)
			}
			var stored int64
			for _, q := range stats.Offsets {
				stored += q.MaxOffset - q.MinOffset
			}
			if stored != 10 {
				t.Fatalf("broker holds %d messages in %s, want 10", stored, topic)
			}

			tab := stacktest.Browser(t)
			if err := chromedp.Do(tab.Ctx, chromedp.Navigate(url+"/readyz")); err != nil {
				t.Fatal(err)
			}
			body, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("body")))
			if err != nil || strings.TrimSpace(body) != "ready" {
				t.Fatalf("/readyz = %q, %v", body, err)
			}

			if err := chromedp.Do(tab.Ctx, chromedp.Navigate(url+"/")); err != nil {
				t.Fatal(err)
			}
			// 4.9.x brokers give no runtime information for a while after they start; the
			// page refreshes itself through htmx every 10 s, so the version appears in place.
			row := `[data-testid="broker"][data-broker="` + rmq.BrokerName + `"]`
			wantVersion := "V" + strings.ReplaceAll(version, ".", "_")
			versionShown := row + ` td:nth-child(3)`
			if _, err := chromedp.Run(tab.Ctx, chromedp.Poll[bool](`document.querySelector('`+versionShown+`')?.textContent.trim() === "`+wantVersion+`"`, chromedp.WithPollingTimeout(150*time.Second))); err != nil {
				text, _ := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(row)))
				t.Fatalf("broker row %q never showed %s: %v", text, wantVersion, err)
			}
			text, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(row)))
			if err != nil || !strings.Contains(text, rmq.BrokerAddr) {
				t.Fatalf("broker row %q does not show %s: %v", text, rmq.BrokerAddr, err)
			}
			// htmx loaded from our own static files and enhanced the page.
			loaded, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[bool](`typeof htmx === "object" && htmx.version.startsWith("2.")`))
			if err != nil || !loaded {
				t.Fatalf("htmx 2 not loaded: %v", err)
			}
			tab.Screenshot("overview")
			if p := tab.Problems(); len(p) > 0 {
				t.Fatalf("browser console reported problems: %q", p)
			}
		})
	}
}

func TestBadConfigurationStopsWithOneClearLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dead, err := net.Listen("tcp", "127.0.0.1:0") // a port nobody answers on once closed
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()

	rmq := stacktest.Broker(t, stacktest.Versions(t)[0])
	good := map[string]string{
		"DATABASE_URL":             stacktest.DatabaseURL(t),
		"LAGBOARD_CLUSTERS":        "local=" + rmq.NamesrvAddr,
		"LAGBOARD_ADDR":            "127.0.0.1:0",
		"LAGBOARD_ANONYMOUS_READ":  "true",
		"LAGBOARD_STARTUP_TIMEOUT": "5s",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"missing DATABASE_URL", with("DATABASE_URL", ""), []string{"DATABASE_URL: is required"}},
		{"unreachable Postgres", with("DATABASE_URL", "postgres://u@"+deadAddr+"/x?sslmode=disable"), []string{"DATABASE_URL: cannot reach Postgres at " + deadAddr, "connection refused"}},
		{"missing clusters", with("LAGBOARD_CLUSTERS", ""), []string{"LAGBOARD_CLUSTERS: is required"}},
		{"bad cluster address", with("LAGBOARD_CLUSTERS", "local=nohost"), []string{`LAGBOARD_CLUSTERS: cluster "local": name server "nohost" is not host:port`}},
		{"unreachable name server", with("LAGBOARD_CLUSTERS", "local="+deadAddr), []string{`LAGBOARD_CLUSTERS: cluster "local": no name server answered`, deadAddr}},
		{"port in use", with("LAGBOARD_ADDR", busy.Addr().String()), []string{"LAGBOARD_ADDR: cannot listen on " + busy.Addr().String(), "address already in use"}},
		{"bad log level", with("LAGBOARD_LOG_LEVEL", "loud"), []string{`LAGBOARD_LOG_LEVEL: "loud" is not one of`}},
		{"bad duration", with("LAGBOARD_SHUTDOWN_TIMEOUT", "soon"), []string{`LAGBOARD_SHUTDOWN_TIMEOUT: "soon" is not a positive duration`}},
		{"bad approval rule", with("LAGBOARD_RESET_APPROVALS", "prod=2"), []string{`LAGBOARD_RESET_APPROVALS: entry 1 "prod=2" is not cluster/group=count`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStartFailure(t, tt.env, tt.want...)
		})
	}
}

func TestMigrateSubcommand(t *testing.T) {
	db := stacktest.DatabaseURL(t)
	var out strings.Builder
	err := run(context.Background(), []string{"migrate"}, func(k string) string {
		return map[string]string{"DATABASE_URL": db}[k]
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"msg":"database ready"`) {
		t.Fatalf("migrate printed %q", out.String())
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("unknown subcommand accepted")
	}
}

// wantStartFailure runs the program with env and checks that it refuses to start with one
// line containing every part of want.
func wantStartFailure(t *testing.T, env map[string]string, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard)
	if err == nil {
		t.Fatal("run succeeded")
	}
	line := errorLine(err)
	if strings.Contains(line, "\n") {
		t.Errorf("message spans lines: %q", line)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("message %q does not contain %q", line, w)
		}
	}
}
