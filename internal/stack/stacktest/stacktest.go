// Package stacktest gives tests the real services of internal/stack: isolated Postgres
// databases, RocketMQ brokers and a headless browser.
//
// `devstack test -- go test ./...` (what `make test` runs) starts Postgres and every RocketMQ
// version once for the whole run and passes their addresses in LAGBOARD_TEST_* variables.
// A package tested on its own with plain `go test` starts what it needs itself, once per
// package. Either way a service that cannot be started fails the test: nothing is skipped.
package stacktest

import (
	"context"
	"os"
	"sync"
	"testing"
)

// Environment variables set by devstack test.
const (
	EnvPostgres = "LAGBOARD_TEST_POSTGRES" // superuser URL of the shared server
	// EnvRocketMQPrefix + version with dots as underscores, e.g. LAGBOARD_TEST_ROCKETMQ_5_3_3,
	// holds namesrv=ADDR;broker=ADDR;cluster=NAME;broker_name=NAME;logs=DIR.
	EnvRocketMQPrefix = "LAGBOARD_TEST_ROCKETMQ_"
)

// cleanups run when the package's tests are done, for services started by the package itself.
var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

func atExit(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

// Main runs the package's tests, then stops whatever the package started itself. Call it
// from TestMain:
//
//	func TestMain(m *testing.M) { stacktest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	os.Exit(code)
}

// once starts a package-wide resource the first time it is needed and remembers a failure,
// so every test that needs a service that cannot start fails with the same message.
type once[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (o *once[T]) get(t testing.TB, start func(context.Context) (T, error)) T {
	t.Helper()
	o.once.Do(func() { o.v, o.err = start(context.Background()) })
	if o.err != nil {
		t.Fatalf("stacktest: %v", o.err)
	}
	return o.v
}

// failf is used for misconfiguration of the test environment itself.
func failf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatalf("stacktest: "+format, args...)
}
