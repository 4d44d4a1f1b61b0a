package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"", "[]", ""},
		{"10.0.0.0/8, 192.168.1.7 ,fd00::/8", "[10.0.0.0/8 192.168.1.7/32 fd00::/8]", ""},
		{"10.1.2.3/8", "[10.0.0.0/8]", ""},
		{"::ffff:10.0.0.0/104", "[10.0.0.0/8]", ""},
		{"10.0.0.0/8,proxy.internal", "", `LAGBOARD_TRUSTED_PROXIES: entry 2 "proxy.internal" is not a CIDR`},
		{"10.0.0.0/33", "", `entry 1 "10.0.0.0/33"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var cfg Config
			errs := loadAudit(func(k string) string { return map[string]string{EnvTrustedProxies: tt.in}[k] }, &cfg)
			if tt.err != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.err) {
					t.Fatalf("errors %v, want %q", errs, tt.err)
				}
				return
			}
			if got := fmt.Sprint(cfg.Audit.TrustedProxies); len(errs) != 0 || got != tt.want {
				t.Fatalf("got %s %v, want %s", got, errs, tt.want)
			}
		})
	}
}
