package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// test starts Postgres, Alertmanager and every RocketMQ version once, runs the command with
// their addresses in LAGBOARD_TEST_* variables, stops everything and exits with the
// command's status.
func test(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: devstack test -- CMD ARGS...")
	}
	versions, err := stack.Versions()
	if err != nil {
		return err
	}

	start := time.Now()
	env, stopAll, err := startTestStack(ctx, versions, stdout)
	defer stopAll()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "devstack: stack ready in %s\n", time.Since(start).Round(100*time.Millisecond))

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = stdout, stderr, nil
	testStart := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", args[0], err)
	}
	// The command shares our process group, so Ctrl-C reaches it directly; pass SIGTERM on.
	stopForward := context.AfterFunc(ctx, func() { cmd.Process.Signal(syscall.SIGTERM) }) //nolint:errcheck // it may have exited
	defer stopForward()
	err = cmd.Wait()
	fmt.Fprintf(stdout, "devstack: %s took %s\n", strings.Join(args, " "), time.Since(testStart).Round(100*time.Millisecond))
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitCode(exitErr.ExitCode())
	}
	return err
}

// startTestStack starts the services concurrently and returns the variables describing
// them and a function that stops them all.
func startTestStack(ctx context.Context, versions []string, out io.Writer) ([]string, func(), error) {
	var (
		mu    sync.Mutex
		env   []string
		stops []func() error
	)
	add := func(e string, stop func() error) {
		mu.Lock()
		defer mu.Unlock()
		env = append(env, e)
		stops = append(stops, stop)
	}
	stopAll := func() {
		mu.Lock()
		defer mu.Unlock()
		var wg sync.WaitGroup
		for _, stop := range stops {
			wg.Go(func() {
				if err := stop(); err != nil {
					fmt.Fprintln(out, "devstack: stop:", err)
				}
			})
		}
		wg.Wait()
		stops = nil
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		t := time.Now()
		pg, err := stack.StartPostgres(gctx)
		if err != nil {
			return err
		}
		add(stacktest.EnvPostgres+"="+pg.URL("postgres"), pg.Stop)
		fmt.Fprintf(out, "devstack: postgres on 127.0.0.1:%d (%s)\n", pg.Port, time.Since(t).Round(100*time.Millisecond))
		return nil
	})
	g.Go(func() error {
		t := time.Now()
		am, err := stack.StartAlertmanager(gctx)
		if err != nil {
			return err
		}
		add(stacktest.EnvAlertmanager+"="+am.URL(), am.Stop)
		fmt.Fprintf(out, "devstack: alertmanager on %s (%s)\n", am.URL(), time.Since(t).Round(100*time.Millisecond))
		return nil
	})
	for _, v := range versions {
		g.Go(func() error {
			r, err := stack.StartRocketMQ(gctx, stack.RocketMQOptions{Version: v})
			if err != nil {
				return fmt.Errorf("rocketmq %s: %w", v, err)
			}
			add(stacktest.EnvName(v)+"="+stacktest.FromStack(r).EnvValue(), r.Stop)
			proxy := ""
			if r.ProxyAddr != "" {
				proxy = " with proxy " + r.ProxyAddr
			}
			fmt.Fprintf(out, "devstack: rocketmq %s namesrv %s (%s) broker %s%s (%s)\n", v,
				r.NamesrvAddr, r.NamesrvStartup.Round(100*time.Millisecond),
				r.BrokerAddr, proxy, r.BrokerStartup.Round(100*time.Millisecond))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, stopAll, err
	}
	return env, stopAll, nil
}
