package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadReset(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Reset
		wantErr string
	}{
		{name: "defaults", want: Reset{Expiry: 24 * time.Hour, DriftTolerance: 1000, VerifyWindow: time.Minute}},
		{name: "set", env: map[string]string{EnvResetExpiry: "2h", EnvResetDrift: "0", EnvResetApprovals: "prod/payments-*=2, */*=1", EnvResetVerify: "90s"},
			want: Reset{Expiry: 2 * time.Hour, DriftTolerance: 0, Approvals: []ApprovalRule{{"prod", "payments-*", 2}, {"*", "*", 1}}, VerifyWindow: 90 * time.Second}},
		{name: "verify window too short", env: map[string]string{EnvResetVerify: "5s"}, wantErr: EnvResetVerify},
		{name: "verify window not a duration", env: map[string]string{EnvResetVerify: "soon"}, wantErr: EnvResetVerify},
		{name: "short expiry", env: map[string]string{EnvResetExpiry: "5s"}, wantErr: EnvResetExpiry},
		{name: "negative drift", env: map[string]string{EnvResetDrift: "-1"}, wantErr: EnvResetDrift},
		{name: "no group", env: map[string]string{EnvResetApprovals: "prod=2"}, wantErr: `entry 1 "prod=2"`},
		{name: "zero approvals", env: map[string]string{EnvResetApprovals: "prod/*=0"}, wantErr: "count from 1 to 10"},
		{name: "bad pattern", env: map[string]string{EnvResetApprovals: "prod/[=2"}, wantErr: "not a glob pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg Config
			errs := loadReset(func(k string) string { return tt.env[k] }, &cfg)
			if tt.wantErr != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.wantErr) {
					t.Fatalf("errors = %v, want one naming %q", errs, tt.wantErr)
				}
				return
			}
			if len(errs) != 0 {
				t.Fatalf("errors = %v", errs)
			}
			if cfg.Reset.Expiry != tt.want.Expiry || cfg.Reset.DriftTolerance != tt.want.DriftTolerance || cfg.Reset.VerifyWindow != tt.want.VerifyWindow ||
				len(cfg.Reset.Approvals) != len(tt.want.Approvals) {
				t.Fatalf("got %+v, want %+v", cfg.Reset, tt.want)
			}
			for i, r := range tt.want.Approvals {
				if cfg.Reset.Approvals[i] != r {
					t.Fatalf("rule %d = %+v, want %+v", i, cfg.Reset.Approvals[i], r)
				}
			}
		})
	}
}
