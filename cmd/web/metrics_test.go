package main

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
)

func TestMetricsOpen(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 8080} }
	tests := []struct {
		name   string
		listen net.Addr
		token  string
		want   bool
	}{
		{"IPv4 loopback", tcp("127.0.0.1"), "", false},
		{"elsewhere in 127/8", tcp("127.0.0.2"), "", false},
		{"IPv6 loopback", tcp("::1"), "", false},
		{"IPv4-mapped loopback", tcp("::ffff:127.0.0.1"), "", false},
		{"every interface, IPv4", tcp("0.0.0.0"), "", true},
		{"every interface (:8080)", tcp("::"), "", true},
		{"a LAN address", tcp("10.1.2.3"), "", true},
		{"a public IPv6 address", tcp("2001:db8::1"), "", true},
		{"every interface with a token", tcp("::"), "s3cret", false},
		{"not TCP", &net.UnixAddr{Name: "/run/lagboard.sock", Net: "unix"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metricsOpen(tt.listen, tt.token); got != tt.want {
				t.Errorf("metricsOpen(%s, %q) = %v, want %v", tt.listen, tt.token, got, tt.want)
			}
		})
	}
}

func TestOpenMetricsWarning(t *testing.T) {
	for _, tt := range []struct {
		listen string
		lines  int
	}{{"0.0.0.0:8080", 1}, {"127.0.0.1:8080", 0}} {
		var b bytes.Buffer
		addr, err := net.ResolveTCPAddr("tcp", tt.listen)
		if err != nil {
			t.Fatal(err)
		}
		warnOpenMetrics(slog.New(slog.NewJSONHandler(&b, nil)), addr, "")
		if n := strings.Count(b.String(), "\n"); n != tt.lines {
			t.Errorf("%s: %d log lines, want %d: %s", tt.listen, n, tt.lines, b.String())
		}
		if tt.lines > 0 && (!strings.Contains(b.String(), `"level":"WARN"`) || !strings.Contains(b.String(), "LAGBOARD_METRICS_TOKEN")) {
			t.Errorf("%s: the warning does not name the variable: %s", tt.listen, b.String())
		}
	}
}
