package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
)

// traffic runs only the demo traffic against an existing RocketMQ, as docker-compose.yml
// does.
func traffic(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("traffic", flag.ContinueOnError)
	fs.SetOutput(stdout)
	namesrv := fs.String("namesrv", "127.0.0.1:9876", "name server address")
	broker := fs.String("broker", "127.0.0.1:10911", "broker address, where the demo topics are created")
	proxy := fs.String("proxy", "", "gRPC address of a 5.x proxy, for the simple consumer groups (none without it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	logger.Info("demo traffic", "namesrv", *namesrv, "broker", *broker)
	if err := runTraffic(ctx, *namesrv, *broker, *proxy, logger); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
