// Command devstack runs Lagboard's local real stack: a throwaway Postgres cluster, Apache
// RocketMQ name servers and brokers, and the dev OpenID provider.
//
//	devstack demo                 the dashboard on the stack, with demo traffic
//	devstack test -- CMD ARGS...  start the stack once, run CMD (go test ...) against it
//	devstack traffic -namesrv A -broker B   demo traffic only, against an existing RocketMQ
//
// Everything it starts stops when it exits, also on Ctrl-C.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var exit exitCode
	switch {
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case err != nil:
		fmt.Fprintln(os.Stderr, "devstack: "+err.Error())
		os.Exit(1)
	}
}

// exitCode passes a child's exit status through.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: devstack demo | devstack test -- CMD ARGS... | devstack traffic [-namesrv A] [-broker B]")
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, args[1:], stdout)
	case "test":
		return test(ctx, args[1:], stdout, stderr)
	case "traffic":
		return traffic(ctx, args[1:], stdout)
	default:
		return fmt.Errorf("unknown command %q: want demo, test or traffic", args[0])
	}
}
