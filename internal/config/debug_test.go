package config

import (
	"strings"
	"testing"
)

func TestLoadDebugAddr(t *testing.T) {
	base := map[string]string{EnvDatabaseURL: "postgres://lagboard@127.0.0.1:5432/lagboard", EnvClusters: "local=127.0.0.1:9876",
		"LAGBOARD_ANONYMOUS_READ": "true"}
	for _, tt := range []struct {
		addr, wantErr string
	}{
		{"", ""},
		{"127.0.0.1:6060", ""},
		{"[::1]:6060", ""},
		{"localhost:6060", ""},
		{"0.0.0.0:6060", "is not a loopback address"},
		{":6060", "is not a loopback address"},
		{"10.1.2.3:6060", "is not a loopback address"},
		{"6060", "is not host:port"},
	} {
		t.Run(tt.addr, func(t *testing.T) {
			env := map[string]string{EnvDebugAddr: tt.addr}
			for k, v := range base {
				env[k] = v
			}
			cfg, err := Load(func(k string) string { return env[k] })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.wantErr == "" && cfg.DebugAddr != tt.addr:
				t.Fatalf("DebugAddr %q", cfg.DebugAddr)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), EnvDebugAddr) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Load error %v, want %s: … %s", err, EnvDebugAddr, tt.wantErr)
			}
		})
	}
}
