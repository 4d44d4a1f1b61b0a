package stack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// RocketMQOptions configures StartRocketMQ.
type RocketMQOptions struct {
	// Version is the RocketMQ release, e.g. "5.3.3" or "4.9.7". Only 4.x and 5.x are known.
	Version string
	// Dir holds ROCKETMQ_HOME, both JVMs' user.home (store, logs) and the config files.
	// Empty means a new temporary directory, which Stop removes; a given Dir is left in place.
	Dir string
	// LibDir holds the jars; empty means
	// ${LAGBOARD_CACHE:-$HOME/.cache/lagboard}/rocketmq/<Version>/lib, filled by
	// scripts/rocketmq/fetch.sh.
	LibDir string
	// ConfDir holds logback_namesrv.xml and logback_broker.xml; empty means the repository's
	// scripts/rocketmq/conf, found by walking up from the working directory, or else the conf
	// directory fetch.sh places next to LibDir.
	ConfDir string
	// Java is the java executable; empty means $JAVA_HOME/bin/java if set, else java on PATH.
	Java string
	// ClusterName and BrokerName name the broker; "DefaultCluster" and "broker-a" when empty.
	ClusterName string
	BrokerName  string
	// ExtraNamesrvConf and ExtraBrokerConf are added to namesrv.conf and broker.conf, replacing
	// the defaults for the same keys (e.g. aclEnable=true on 4.x, authenticationEnabled=true
	// on 5.x). Unknown keys are ignored by RocketMQ, so check them in the broker log.
	ExtraNamesrvConf map[string]string
	ExtraBrokerConf  map[string]string
	// HomeFiles are written under ROCKETMQ_HOME before start, keyed by relative path, e.g.
	// "conf/plain_acl.yml" for 4.x ACL.
	HomeFiles map[string]string
	// JoinNamesrv, when set, starts only a broker, registered with this existing name server
	// (give it its own BrokerName), to make a cluster of several brokers.
	JoinNamesrv string
	// NoProxy runs a 5.x broker on its own. By default a 5.x broker runs inside
	// rocketmq-proxy (local mode), which serves the gRPC clients of the 5.x SDKs (simple
	// consumers) on ProxyAddr; 4.x has no proxy.
	NoProxy bool
	// Timeout bounds the whole start-up; 90 s when zero.
	Timeout time.Duration
}

// RocketMQ is a running name server and broker on 127.0.0.1, started by StartRocketMQ.
type RocketMQ struct {
	// Version is the RocketMQ release running.
	Version string
	// NamesrvAddr and BrokerAddr are "127.0.0.1:port".
	NamesrvAddr string
	BrokerAddr  string
	// ProxyAddr is the gRPC endpoint of rocketmq-proxy, "127.0.0.1:port", for 5.x brokers
	// started with the proxy; empty otherwise.
	ProxyAddr string
	// BrokerName and ClusterName are the broker's names as registered with the name server.
	BrokerName  string
	ClusterName string
	// Dir is the working directory described in RocketMQOptions.Dir.
	Dir string
	// NamesrvStartup and BrokerStartup are how long each JVM took from exec to ready.
	NamesrvStartup time.Duration
	BrokerStartup  time.Duration

	major                   int // 4 or 5
	namesrvPort, brokerPort int
	proxyPorts              []int // gRPC and remoting, when the proxy runs
	namesrv, broker         *Process
	removeDir               bool
}

const (
	defaultRocketMQTimeout = 90 * time.Second
	brokerStopGrace        = 30 * time.Second // 5.x takes 7 to 11 s: service threads' polls
	namesrvStopGrace       = 15 * time.Second
	throwawayStopGrace     = 2 * time.Second
)

// StartRocketMQ starts a name server and then a broker registered with it, each a java
// process on free loopback ports, and returns once the broker is ready. ctx bounds only the
// start-up; the processes run until Stop (or until this process dies). On failure everything
// started is stopped and the error carries the tail of the relevant log.
func StartRocketMQ(ctx context.Context, opts RocketMQOptions) (*RocketMQ, error) {
	// A port checked free can still be taken before the JVM binds it (by another server
	// starting at the same moment): then start again on other ports, twice at most.
	for attempt := 0; ; attempt++ {
		r, err := startRocketMQ(ctx, opts)
		if err == nil || attempt == 2 || !strings.Contains(err.Error(), "Address already in use") || ctx.Err() != nil {
			return r, err
		}
	}
}

func startRocketMQ(ctx context.Context, opts RocketMQOptions) (*RocketMQ, error) {
	major, err := rocketmqMajor(opts.Version)
	if err != nil {
		return nil, err
	}
	timeout := cmp.Or(opts.Timeout, defaultRocketMQTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	java, err := findJava(opts.Java)
	if err != nil {
		return nil, err
	}
	lib, err := rocketmqLibDir(opts.Version, opts.LibDir)
	if err != nil {
		return nil, err
	}
	confDir, err := rocketmqConfDir(opts.ConfDir, lib)
	if err != nil {
		return nil, err
	}

	r := &RocketMQ{
		Version:     opts.Version,
		BrokerName:  cmp.Or(opts.BrokerName, "broker-a"),
		ClusterName: cmp.Or(opts.ClusterName, "DefaultCluster"),
		Dir:         opts.Dir,
		major:       major,
	}
	if r.Dir == "" {
		if r.Dir, err = os.MkdirTemp("", "lagboard-rocketmq-"); err != nil {
			return nil, fmt.Errorf("rocketmq: %w", err)
		}
		r.removeDir = true
	}
	ok := false
	defer func() {
		if !ok {
			r.Stop() //nolint:errcheck // already failing; the start-up error says more
		}
	}()
	if err := checkDiskFree(r.Dir); err != nil {
		return nil, err
	}
	if err := r.writeFiles(major, confDir, opts); err != nil {
		return nil, err
	}

	env := append(os.Environ(), "ROCKETMQ_HOME="+r.home())
	if opts.JoinNamesrv == "" {
		if err := r.startNamesrv(ctx, java, lib, env); err != nil {
			return nil, err
		}
	}

	start := time.Now()
	name, args := "broker-"+r.Version, brokerArgs(major, r.Dir, lib)
	if r.ProxyAddr != "" {
		name, args = "proxy-"+r.Version, proxyArgs(r.Dir, lib)
	}
	r.broker, err = StartProcess(ProcessSpec{
		Name:    name,
		Path:    java,
		Args:    args,
		Env:     env,
		Dir:     r.Dir,
		LogPath: filepath.Join(r.Dir, "broker-stdout.log"),
	})
	if err != nil {
		return nil, err
	}
	if err := r.waitBrokerReady(ctx, cmp.Or(opts.ExtraBrokerConf["brokerPermission"], "6")); err != nil {
		return nil, err
	}
	r.BrokerStartup = time.Since(start)
	ok = true
	return r, nil
}

// Stop stops the broker and then the name server (SIGTERM, then SIGKILL after a grace
// period) and removes Dir if StartRocketMQ created it. It is safe to call more than once.
func (r *RocketMQ) Stop() error {
	// A stack whose directory is deleted anyway need not flush its store: a short grace
	// spares the tests the JVMs' slow shutdown (up to 17 s for a 5.3.3 broker).
	brokerGrace, namesrvGrace := brokerStopGrace, namesrvStopGrace
	if r.removeDir {
		brokerGrace, namesrvGrace = throwawayStopGrace, throwawayStopGrace
	}
	var errs []error
	if r.broker != nil {
		errs = append(errs, ignoreKilled(r.broker.Stop(brokerGrace)))
	}
	if r.namesrv != nil {
		errs = append(errs, ignoreKilled(r.namesrv.Stop(namesrvGrace)))
	}
	if r.removeDir {
		errs = append(errs, os.RemoveAll(r.Dir))
	}
	return errors.Join(errs...)
}

// startNamesrv starts the name server and waits until it answers.
func (r *RocketMQ) startNamesrv(ctx context.Context, java, lib string, env []string) error {
	start := time.Now()
	var err error
	r.namesrv, err = StartProcess(ProcessSpec{
		Name:    "namesrv-" + r.Version,
		Path:    java,
		Args:    namesrvArgs(r.major, r.Dir, lib),
		Env:     env,
		Dir:     r.Dir,
		LogPath: filepath.Join(r.Dir, "namesrv-stdout.log"),
	})
	if err != nil {
		return err
	}
	if err := waitReady(ctx, r.namesrv, r.NamesrvAddr, "The Name Server boot success"); err != nil {
		return err
	}
	r.NamesrvStartup = time.Since(start)
	return nil
}

// Pause stops the broker's JVM with SIGSTOP: its sockets stay open and nothing answers,
// which is how a hung broker looks to clients. Resume undoes it.
func (r *RocketMQ) Pause() error { return r.broker.Signal(syscall.SIGSTOP) }

// Resume continues a paused broker.
func (r *RocketMQ) Resume() error { return r.broker.Signal(syscall.SIGCONT) }

// Processes returns the started JVMs, name server first.
func (r *RocketMQ) Processes() []*Process {
	var ps []*Process
	for _, p := range []*Process{r.namesrv, r.broker} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// Ports returns every TCP port the name server and broker listen on: the name server's,
// then the broker's listenPort, listenPort-2 (its "VIP" server) and listenPort+1 (HA), then
// the proxy's gRPC and remoting ports when it runs.
func (r *RocketMQ) Ports() []int {
	return append([]int{r.namesrvPort, r.brokerPort, r.brokerPort - 2, r.brokerPort + 1}, r.proxyPorts...)
}

// LogTail returns the last n lines of the name server's and the broker's output and of the
// broker's own log file, each under a label naming the file.
func (r *RocketMQ) LogTail(n int) string {
	var b strings.Builder
	for _, p := range r.Processes() {
		fmt.Fprintf(&b, "--- %s: %s ---\n%s\n", p.Name(), p.LogPath(), p.Tail(n))
	}
	if log := r.brokerLogPath(); fileExists(log) {
		fmt.Fprintf(&b, "--- broker log: %s ---\n%s\n", log, TailFile(log, n))
	}
	return b.String()
}

// waitBrokerReady waits until the name server lists the broker as its cluster's master
// (GET_BROKER_CLUSTER_INFO) and the broker accepts connections.
//
// The broker's "boot success" line is not enough on 5.x: it registers at start only with
// the name servers that a background scan has already found reachable, and that scan usually
// loses the race (the first connection of a cold JVM is slow), so the first registration is
// the periodic one 10 s later. Once the line is out and half a second has passed
// unregistered, nudgeRegistration asks the broker to register now (again every 2 s).
func (r *RocketMQ) waitBrokerReady(ctx context.Context, brokerPerm string) error {
	cli := mqadmin.New(mqadmin.Options{})
	defer cli.Close()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	bootLine := fmt.Sprintf("The broker[%s, %s] boot success", r.BrokerName, r.BrokerAddr)
	if r.ProxyAddr != "" {
		bootLine = proxyBootLine // in local mode the broker's line goes to its log only
	}
	var booted, nudged time.Time
	for {
		err := r.brokerRegistered(ctx, cli)
		if err == nil {
			err = dialOnce(ctx, r.BrokerAddr)
		}
		if err == nil && r.ProxyAddr != "" {
			err = dialOnce(ctx, r.ProxyAddr)
		}
		if err == nil {
			return nil
		}
		if booted.IsZero() && logContains(r.broker, bootLine) {
			booted = time.Now()
		}
		if r.major >= 5 && !booted.IsZero() && time.Since(booted) > 500*time.Millisecond &&
			time.Since(nudged) > 2*time.Second {
			nudged = time.Now()
			// Best effort: with authentication on it is refused, and the periodic
			// registration still comes.
			_ = nudgeRegistration(ctx, r.BrokerAddr, brokerPerm)
		}
		select {
		case <-r.broker.Done():
			err := exitedEarly(r.broker)
			if log := r.brokerLogPath(); fileExists(log) {
				err = fmt.Errorf("%w\n--- last lines of %s ---\n%s", err, log, TailFile(log, 30))
			}
			return err
		case <-r.namesrvDone():
			return exitedEarly(r.namesrv)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready on %s: %w (last check: %v)\n%s",
				r.broker.Name(), r.BrokerAddr, ctx.Err(), err, r.LogTail(30))
		case <-tick.C:
		}
	}
}

// ignoreKilled drops the error of a stop that had to kill: for a throwaway stack that is
// the expected way to end.
func ignoreKilled(err error) error {
	if errors.Is(err, errKilled) {
		return nil
	}
	return err
}

// namesrvDone is closed when the name server this broker started exits; a broker that
// joined another's name server has none, and the nil channel never fires.
func (r *RocketMQ) namesrvDone() <-chan struct{} {
	if r.namesrv == nil {
		return nil
	}
	return r.namesrv.Done()
}

// nudgeRegistration makes a 5.x broker register with its name servers at once: setting
// brokerPermission (UPDATE_BROKER_CONFIG, 25), here to the value it already has, triggers a
// full registration. The broker also rewrites its config file, which lives in Dir.
func nudgeRegistration(ctx context.Context, brokerAddr, perm string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", brokerAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl) //nolint:errcheck // a failed write or read reports it
	}
	frame, err := mqadmin.EncodeFrame(&mqadmin.Command{Code: 25, Language: "GO", Opaque: 1,
		Body: []byte("brokerPermission=" + perm + "\n")}, 0)
	if err != nil {
		return err
	}
	if _, err := c.Write(frame); err != nil {
		return err
	}
	resp, err := mqadmin.ReadFrame(c, 0)
	if err != nil {
		return err
	}
	if resp.Code != 0 {
		return fmt.Errorf("UPDATE_BROKER_CONFIG at %s: code %d: %s", brokerAddr, resp.Code, resp.Remark)
	}
	return nil
}

// brokerRegistered asks the name server whether it knows the broker.
func (r *RocketMQ) brokerRegistered(ctx context.Context, cli *mqadmin.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ci, err := cli.ClusterInfo(ctx, r.NamesrvAddr)
	if err != nil {
		return err
	}
	if b := ci.Brokers[r.BrokerName]; b.MasterAddr() != r.BrokerAddr || !slices.Contains(ci.Clusters[r.ClusterName], r.BrokerName) {
		return fmt.Errorf("%w: name server %s does not list %s (%s) in cluster %s yet",
			errNotReady, r.NamesrvAddr, r.BrokerName, r.BrokerAddr, r.ClusterName)
	}
	return nil
}

// waitReady polls until p's output contains line and addr accepts TCP connections; it is
// how the name server's readiness is seen.
func waitReady(ctx context.Context, p *Process, addr, line string) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := errNotReady
		if logContains(p, line) {
			err = dialOnce(ctx, addr)
		}
		if err == nil {
			return nil
		}
		select {
		case <-p.Done():
			return exitedEarly(p)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready on %s: %w (waiting for %q: %v)\n--- last lines of %s ---\n%s",
				p.Name(), addr, ctx.Err(), line, err, p.LogPath(), p.Tail(30))
		case <-tick.C:
		}
	}
}

func dialOnce(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

func (r *RocketMQ) home() string          { return filepath.Join(r.Dir, "home") }
func (r *RocketMQ) brokerLogPath() string { return rocketmqLogPath(r.Dir, "broker") }
