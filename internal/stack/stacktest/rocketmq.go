package stacktest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/lagboard/lagboard/internal/stack"
)

// RocketMQ is a running name server and broker for tests.
type RocketMQ struct {
	Version     string
	NamesrvAddr string
	BrokerAddr  string
	BrokerName  string
	ClusterName string
	// ProxyAddr is the gRPC endpoint of the 5.x proxy in front of the broker; empty for 4.x.
	ProxyAddr string
	// Dir holds the JVMs' files, logs included.
	Dir string
}

// EnvValue encodes r for EnvRocketMQPrefix variables.
func (r RocketMQ) EnvValue() string {
	return fmt.Sprintf("namesrv=%s;broker=%s;broker_name=%s;cluster=%s;proxy=%s;dir=%s",
		r.NamesrvAddr, r.BrokerAddr, r.BrokerName, r.ClusterName, r.ProxyAddr, r.Dir)
}

// EnvName returns the variable that carries version's broker, e.g. LAGBOARD_TEST_ROCKETMQ_5_3_3.
func EnvName(version string) string {
	return EnvRocketMQPrefix + strings.ReplaceAll(version, ".", "_")
}

// LogTail returns the last n lines of each log file of the name server and broker.
func (r RocketMQ) LogTail(n int) string {
	var files []string
	filepath.WalkDir(r.Dir, func(p string, d os.DirEntry, err error) error { //nolint:errcheck // best effort
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log") && !strings.Contains(p, "store") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "--- %s ---\n%s\n", f, stack.TailFile(f, n))
	}
	return b.String()
}

var (
	brokersMu sync.Mutex
	brokers   = map[string]*once[RocketMQ]{}
)

// Broker returns the test run's RocketMQ of the given version: the one devstack test
// started, or else one started for this package on first use. When the test fails, the
// tail of the broker's logs is printed. Tests share the broker, so each uses its own
// topic and group names (see Name).
func Broker(t testing.TB, version string) RocketMQ {
	t.Helper()
	brokersMu.Lock()
	o := brokers[version]
	if o == nil {
		o = &once[RocketMQ]{}
		brokers[version] = o
	}
	brokersMu.Unlock()
	r := o.get(t, func(ctx context.Context) (RocketMQ, error) {
		if v := os.Getenv(EnvName(version)); v != "" {
			return parseEnv(version, v)
		}
		rmq, err := stack.StartRocketMQ(ctx, stack.RocketMQOptions{Version: version})
		if err != nil {
			return RocketMQ{}, err
		}
		atExit(func() { rmq.Stop() }) //nolint:errcheck // best effort at exit
		return FromStack(rmq), nil
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("RocketMQ %s logs:\n%s", version, r.LogTail(40))
		}
	})
	return r
}

// FromStack describes a broker started with stack.StartRocketMQ.
func FromStack(r *stack.RocketMQ) RocketMQ {
	return RocketMQ{Version: r.Version, NamesrvAddr: r.NamesrvAddr, BrokerAddr: r.BrokerAddr,
		BrokerName: r.BrokerName, ClusterName: r.ClusterName, ProxyAddr: r.ProxyAddr, Dir: r.Dir}
}

func parseEnv(version, v string) (RocketMQ, error) {
	r := RocketMQ{Version: version}
	for _, kv := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "namesrv":
			r.NamesrvAddr = val
		case "broker":
			r.BrokerAddr = val
		case "broker_name":
			r.BrokerName = val
		case "cluster":
			r.ClusterName = val
		case "proxy":
			r.ProxyAddr = val
		case "dir":
			r.Dir = val
		}
	}
	if r.NamesrvAddr == "" || r.BrokerAddr == "" {
		return r, fmt.Errorf("%s=%q: want namesrv=ADDR;broker=ADDR;...", EnvName(version), v)
	}
	return r, nil
}

// Versions returns the RocketMQ versions every broker test runs against, from
// scripts/rocketmq/versions.
func Versions(t testing.TB) []string {
	t.Helper()
	vs, err := stack.Versions()
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// Name returns a topic or group name unique to this test and run, e.g. for a test named
// TestLag/5.3.3: "lb-TestLag-5_3_3-a1b2c3". RocketMQ allows letters, digits, - and _.
func Name(t testing.TB, prefix string) string {
	t.Helper()
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, t.Name())
	if len(clean) > 80 {
		clean = clean[:80]
	}
	return prefix + "-" + clean + "-" + randomName()[:6]
}
