package stacktest

import (
	"context"
	"os"
	"testing"

	"github.com/lagboard/lagboard/internal/stack"
)

// EnvAlertmanager is set by devstack test to the base URL of the run's Alertmanager.
const EnvAlertmanager = "LAGBOARD_TEST_ALERTMANAGER"

var alertmanager once[string]

// Alertmanager returns the base URL of the test run's Prometheus Alertmanager: the one
// devstack test started, or else one started for this package on first use. Tests share
// it, so each names its alerts with its own labels (see Name) and filters by them.
func Alertmanager(t testing.TB) string {
	t.Helper()
	return alertmanager.get(t, func(ctx context.Context) (string, error) {
		if u := os.Getenv(EnvAlertmanager); u != "" {
			return u, nil
		}
		am, err := stack.StartAlertmanager(ctx)
		if err != nil {
			return "", err
		}
		atExit(func() { am.Stop() }) //nolint:errcheck // best effort at exit
		return am.URL(), nil
	})
}
