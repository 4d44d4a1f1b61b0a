package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadAlerts(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		redirect string
		want     Alerts
		wantErr  string
	}{
		{name: "defaults", want: Alerts{PublicURL: "http://127.0.0.1:8080", Repeat: 4 * time.Hour, GiveUpAfter: 24 * time.Hour,
			DrainWindow: 5 * time.Minute}},
		{name: "public URL from the redirect URL", redirect: "https://lagboard.example.com/auth/callback",
			want: Alerts{PublicURL: "https://lagboard.example.com", Repeat: 4 * time.Hour, GiveUpAfter: 24 * time.Hour, DrainWindow: 5 * time.Minute}},
		{name: "set", env: map[string]string{EnvPublicURL: "https://ops.example.com/lagboard/", EnvAlertRepeat: "30m",
			EnvAlertGiveUpAfter: "2h", EnvDrainWindow: "10m"},
			want: Alerts{PublicURL: "https://ops.example.com/lagboard", Repeat: 30 * time.Minute, GiveUpAfter: 2 * time.Hour, DrainWindow: 10 * time.Minute}},
		{name: "public URL not http", env: map[string]string{EnvPublicURL: "ftp://x"}, wantErr: EnvPublicURL},
		{name: "repeat too short", env: map[string]string{EnvAlertRepeat: "10s"}, wantErr: EnvAlertRepeat + `: "10s" is not a duration from 1m0s`},
		{name: "window not a duration", env: map[string]string{EnvDrainWindow: "long"}, wantErr: EnvDrainWindow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Addr: "127.0.0.1:8080"}
			cfg.Auth.OIDC.RedirectURL = tt.redirect
			errs := loadAlerts(func(k string) string { return tt.env[k] }, &cfg)
			if tt.wantErr != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.wantErr) {
					t.Fatalf("errors = %v, want one naming %q", errs, tt.wantErr)
				}
				return
			}
			if len(errs) != 0 || cfg.Alerts != tt.want {
				t.Fatalf("got %+v, %v; want %+v", cfg.Alerts, errs, tt.want)
			}
		})
	}
}
