package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/storage"
)

// demoRules sets up the demo's alert rules, as someone would on /alerts, sending to the
// demo's Alertmanager: the offline group raises an alert there once its consumer stops,
// and the slow group once it is clear it will not catch up.
func demoRules(ctx context.Context, databaseURL, dashURL, amURL string) error {
	pool, err := storage.Open(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("demo rules: %w", err)
	}
	defer pool.Close()
	svc := alert.NewService(pool, dashURL)
	who := alert.Who{Origin: audit.Origin{Actor: audit.Actor{Subject: audit.SystemSubject, Name: "devstack demo"}}}
	hour := time.Hour.Seconds()
	rules := []storage.AlertRule{
		{Name: "demo: not consuming", Statuses: []string{"STALL", "STOP", "OFFLINE"}},
		{Name: "demo: will not drain within 1 h", DrainWithinSeconds: &hour, HoldSeconds: 30},
	}
	for _, r := range rules {
		r.Enabled, r.Clusters, r.Groups = true, []string{"*"}, []string{"demo-*"}
		r.ReceiverKind, r.ReceiverURL = alert.Alertmanager, amURL
		if _, err := svc.CreateRule(ctx, who, r); err != nil {
			return fmt.Errorf("demo rule %q: %w", r.Name, err)
		}
	}
	return nil
}
