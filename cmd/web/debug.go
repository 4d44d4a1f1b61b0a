package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// debug is the listener of Go's profiles (LAGBOARD_DEBUG_ADDR), apart from the pages so that
// none of it is ever reachable through them.
type debug struct {
	ln  net.Listener
	srv *http.Server
}

func debugServer(addr string, logger *slog.Logger) (*debug, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener: %w", listenCause(err))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	logger.Info("profiles served", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return &debug{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

func (d *debug) serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		d.srv.Close() //nolint:errcheck // stopping
	}()
	if err := d.srv.Serve(d.ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("debug listener: %w", err)
	}
	return nil
}
