package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// started is a run in progress: its issuer once listening, and its log lines once stopped.
type started struct {
	issuer string
	cancel context.CancelFunc
	errc   chan error
	lines  chan []string
	once   sync.Once
}

// start runs the command in the background and waits for its "listening" line. If run
// returns first, start returns its error and a nil *started.
func start(t *testing.T, args ...string) (*started, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	s := &started{cancel: cancel, errc: make(chan error, 1), lines: make(chan []string, 1)}
	issuer := make(chan string, 1)
	go func() {
		var lines []string
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			var rec struct{ Msg, Issuer string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
				issuer <- rec.Issuer
			}
		}
		s.lines <- lines
	}()
	go func() {
		err := run(ctx, append([]string{"devidp"}, args...), func(string) string { return "" }, pw)
		pw.Close()
		s.errc <- err
	}()
	select {
	case s.issuer = <-issuer:
		t.Cleanup(func() { s.stop(t) })
		return s, nil
	case err := <-s.errc:
		cancel()
		return nil, err
	}
}

// stop cancels the run, checks it ended cleanly and that every log line was JSON. Calls
// after the first do nothing.
func (s *started) stop(t *testing.T) {
	t.Helper()
	s.once.Do(func() {
		s.cancel()
		if err := <-s.errc; err != nil {
			t.Errorf("run: %v", err)
		}
		for _, line := range <-s.lines {
			if !json.Valid([]byte(line)) {
				t.Errorf("log line is not JSON: %s", line)
			}
		}
	})
}

func TestRunServes(t *testing.T) {
	configPath := filepath.Join("..", "..", "internal", "devidp", "users.example.json")
	tests := []struct {
		name       string
		args       []string
		wantIssuer func(got string) bool
	}{
		{"demo users", []string{"-addr", "127.0.0.1:0", "-client-redirect", "http://127.0.0.1:8080/cb,http://localhost:8080/cb"},
			func(got string) bool { return strings.HasPrefix(got, "http://127.0.0.1:") }},
		{"config file", []string{"-addr", "127.0.0.1:0", "-config", configPath, "-groups-in-id-token=false"},
			func(got string) bool { return strings.HasPrefix(got, "http://127.0.0.1:") }},
		{"all interfaces", []string{"-addr", ":0", "-client-redirect", "http://127.0.0.1:8080/cb"},
			func(got string) bool { return strings.HasPrefix(got, "http://127.0.0.1:") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := start(t, tt.args...)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if !tt.wantIssuer(s.issuer) {
				t.Fatalf("issuer %q", s.issuer)
			}
			resp, err := http.Get(s.issuer + "/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var disco struct{ Issuer string }
			if err := json.NewDecoder(resp.Body).Decode(&disco); err != nil || disco.Issuer != s.issuer {
				t.Fatalf("discovery issuer %q (err %v), want %q", disco.Issuer, err, s.issuer)
			}
			s.stop(t)
		})
	}
}

func TestRunRefuses(t *testing.T) {
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badConfig, []byte(`{"users":[{"username":"x","email":"x@y.test"}],"clients":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	example := filepath.Join("..", "..", "internal", "devidp", "users.example.json")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no client", []string{"-addr", "127.0.0.1:0"}, "no client"},
		{"post-logout alone", []string{"-addr", "127.0.0.1:0", "-post-logout-redirect", "http://x/"}, "needs -client-redirect"},
		{"unknown flag", []string{"-port", "1"}, "flag provided but not defined"},
		{"stray argument", []string{"serve"}, "unexpected arguments"},
		{"missing config", []string{"-config", filepath.Join(dir, "none.json")}, "no such file"},
		{"invalid config", []string{"-addr", "127.0.0.1:0", "-config", badConfig, "-client-redirect", "http://x/cb"}, "password is required"},
		{"client twice", []string{"-addr", "127.0.0.1:0", "-config", example, "-client-redirect", "http://x/cb"}, "duplicate client id"},
		{"bad redirect", []string{"-addr", "127.0.0.1:0", "-client-redirect", "/cb"}, "redirect_uris[0]"},
		{"bad issuer", []string{"-addr", "127.0.0.1:0", "-client-redirect", "http://x/cb", "-issuer", "http://x/"}, "end with a slash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := start(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
