// Command web is the Lagboard server: the dashboard, its pollers and its workers.
//
//	web [serve]   run the server (the default)
//	web migrate   apply database migrations and exit
//	web verify    check the audit trail's hash chain and print its head
//	web archive   move audit entries older than a date into a file
//	web version   print the version
//
// Configuration comes from environment variables; see the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, errorLine(err))
		os.Exit(1)
	}
}

// run is the whole program, callable from tests with their own arguments, environment and
// output. It returns when ctx is cancelled and everything it started has stopped.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stdout)
	case "migrate":
		return migrate(ctx, getenv, stdout)
	case "verify":
		return verify(ctx, args[1:], getenv, stdout)
	case "archive":
		return archive(ctx, args[1:], getenv, stdout)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q: want serve, migrate, verify, archive or version", cmd)
	}
}

// errorLine formats a fatal error as one line: operators read it in a unit's status or a
// container log, where a multi-line message is cut.
func errorLine(err error) string {
	return "lagboard: " + strings.ReplaceAll(err.Error(), "\n", "; ")
}

const usage = `usage: web [serve|migrate|verify|archive|version]

  serve    run the dashboard (default)
  migrate  apply database migrations and exit
  verify   check the audit trail's hash chain; -head SEQ:HASH checks a head recorded earlier,
           -archive FILE checks an archive file on its own
  archive  move audit entries older than -before DATE into the new file -out FILE
  version  print the version

Configuration is read from environment variables; see README.md.
`
