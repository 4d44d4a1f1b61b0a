package main

import (
	"log/slog"
	"net"

	"github.com/lagboard/lagboard/internal/config"
)

// metricsOpen reports whether /metrics answers anyone beyond this machine: no token is
// set and the server listens on something other than loopback. The listener's address
// decides, so ":8080" (every interface) counts, and so does a host name that resolved to
// a routable address; an address that is not TCP cannot be judged and counts too.
func metricsOpen(listen net.Addr, token string) bool {
	if token != "" {
		return false
	}
	a, ok := listen.(*net.TCPAddr)
	return !ok || !a.IP.IsLoopback()
}

// warnOpenMetrics logs, once at start, that /metrics serves consumer group names to
// whoever reaches the port. It stays open by default, for local runs and scrapers on a
// trusted network.
func warnOpenMetrics(logger *slog.Logger, listen net.Addr, token string) {
	if metricsOpen(listen, token) {
		logger.Warn("/metrics needs no token and the server listens beyond loopback: anyone who reaches "+listen.String()+
			" can read consumer group names and lags there; set "+config.EnvMetricsToken+" to require a bearer token",
			"addr", listen.String(), "variable", config.EnvMetricsToken)
	}
}
