// Command lagbench measures Lagboard at scale, side by side with mqadmin, on a real local
// stack: Postgres and several RocketMQ clusters (half 5.3.3, half 4.9.7, each its own name
// server and broker), a fleet of consumer groups built on them, the real `web` binary
// polling them all, and the official `mqadmin consumerProgress` of each broker's release
// reading the same groups. It prints how long each took, the web process's memory and
// start-up time, and every number the two disagree on.
//
// It is slow (minutes: building 20,000 groups is most of it) and stays out of `make test`;
// `make bench-scale` runs it. docs/BENCHMARKS.md records its figures.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/demo"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack"
)

type options struct {
	groups, clusters, queues, perTopic, messages int
	cycles, sample                               int
	interval                                     time.Duration
	web, profile                                 string
	skipMQAdmin, keep                            bool
}

func main() {
	var o options
	flag.IntVar(&o.groups, "groups", 20000, "consumer groups in all, split evenly over the clusters")
	flag.IntVar(&o.clusters, "clusters", 4, "clusters, half on RocketMQ 5.3.3 and half on 4.9.7")
	flag.IntVar(&o.queues, "queues", 8, "queues of each topic")
	flag.IntVar(&o.perTopic, "groups-per-topic", 20, "groups consuming each topic")
	flag.IntVar(&o.messages, "messages", 16, "messages stored on each queue")
	flag.IntVar(&o.cycles, "cycles", 5, "poll cycles measured per cluster, after the first")
	flag.IntVar(&o.sample, "sample", 5, "groups per cluster also read one by one with consumerProgress -g")
	flag.DurationVar(&o.interval, "interval", 10*time.Second, "poll interval of the web process")
	flag.StringVar(&o.web, "web", "bin/web", "the web binary to measure")
	flag.BoolVar(&o.skipMQAdmin, "skip-mqadmin", false, "measure Lagboard only")
	flag.StringVar(&o.profile, "profile", "", "write a CPU profile of web over the measured cycles to this file (and its heap to file.heap)")
	flag.BoolVar(&o.keep, "keep", false, "leave the stack running at the end, until Ctrl-C")
	flag.Parse()
	log.SetFlags(log.Ltime)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatal(err)
	}
}

// cluster is one benchmark cluster: its broker and the fleet built on it.
type cluster struct {
	name  string
	rmq   *stack.RocketMQ
	fleet demo.Fleet
	// durations are the poll cycles measured; mqadmin what the official tool took.
	durations []time.Duration
	mqadmin   time.Duration
}

func run(ctx context.Context, o options) error {
	load := loadAverage()
	start := time.Now()
	pg, err := stack.StartPostgres(ctx)
	if err != nil {
		return err
	}
	defer pg.Stop() //nolint:errcheck // end of the benchmark
	cs := make([]*cluster, o.clusters)
	var wg sync.WaitGroup
	errs := make([]error, o.clusters)
	for i := range cs {
		version := "5.3.3"
		if i >= (o.clusters+1)/2 {
			version = "4.9.7"
		}
		c := &cluster{name: fmt.Sprintf("c%d", i)}
		cs[i] = c
		wg.Go(func() {
			c.rmq, errs[i] = stack.StartRocketMQ(ctx, stack.RocketMQOptions{Version: version, NoProxy: true,
				ClusterName: "bench" + strconv.Itoa(i), BrokerName: "broker-" + c.name})
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range cs {
			if c.rmq != nil {
				c.rmq.Stop() //nolint:errcheck // end of the benchmark
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Printf("stack up in %s: Postgres and %d clusters", time.Since(start).Round(time.Second), len(cs))

	admin := mqadmin.New(mqadmin.Options{Timeout: 10 * time.Second}) // a broker rewriting thousands of entries answers late
	defer admin.Close()
	start = time.Now()
	for i, c := range cs {
		c.fleet = demo.Fleet{Prefix: c.name, Groups: o.groups / o.clusters, GroupsPerTopic: o.perTopic, Queues: o.queues, Messages: o.messages}
		wg.Go(func() {
			errs[i] = c.fleet.Build(ctx, admin, c.rmq.BrokerAddr, 16, func(step string) {
				log.Printf("%s (%s): %s built after %s", c.name, c.rmq.Version, step, time.Since(start).Round(time.Second))
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Printf("fleet of %d groups × %d queues built in %s", o.groups, o.queues, time.Since(start).Round(time.Second))

	web, err := measureWeb(ctx, o, pg.URL("postgres"), cs)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, pg.URL("postgres"))
	if err != nil {
		return err
	}
	defer pool.Close()
	stored, err := readStored(ctx, pool)
	if err != nil {
		return err
	}
	var cmpRep comparison
	if !o.skipMQAdmin {
		cleanup, err := makeToolsHome()
		if err != nil {
			return err
		}
		defer cleanup()
		if cmpRep, err = compareWithMQAdmin(ctx, o, cs, stored); err != nil {
			return err
		}
	}
	report(o, load, cs, web, stored, cmpRep)
	if o.keep {
		fmt.Printf("\nDATABASE_URL=%s\nLAGBOARD_CLUSTERS=%s\nCtrl-C stops the stack.\n", pg.URL("postgres"), clustersEnv(cs))
		<-ctx.Done()
	}
	return nil
}

func clustersEnv(cs []*cluster) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.name+"="+c.rmq.NamesrvAddr)
	}
	return strings.Join(parts, ",")
}

// webFigures is what was measured of the web process.
type webFigures struct {
	firstPage     time.Duration
	rss, peakRSS  int64 // bytes
	stale         map[string]float64
	rounds        []time.Duration // per round, the slowest cluster's cycle
	requests      string
	groupsPerPage time.Duration
	cycles        int  // steady-state cycles measured per cluster
	partial       bool // fewer than asked for: the deadline came first
}

// measureWeb runs the web binary over the clusters: the time to its first page, the
// duration of its poll cycles (read from its own metrics), and its memory once it has
// polled everything several times.
func measureWeb(ctx context.Context, o options, dbURL string, cs []*cluster) (webFigures, error) {
	var w webFigures
	addr, err := freeAddr()
	if err != nil {
		return w, err
	}
	logPath := filepath.Join(os.TempDir(), "lagbench-web.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return w, err
	}
	defer logFile.Close()
	debugAddr, err := freeAddr()
	if err != nil {
		return w, err
	}
	cmd := exec.CommandContext(ctx, o.web)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "LAGBOARD_CLUSTERS="+clustersEnv(cs), "LAGBOARD_ADDR="+addr,
		"LAGBOARD_ANONYMOUS_READ=true", "LAGBOARD_POLL_INTERVAL="+o.interval.String(), "LAGBOARD_LOG_LEVEL=warn",
		"LAGBOARD_DEBUG_ADDR="+debugAddr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return w, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // stopping
		cmd.Wait()                          //nolint:errcheck // stopping
	}()
	base := "http://" + addr
	for {
		if resp, err := http.Get(base + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				w.firstPage = time.Since(begin)
				break
			}
		}
		if time.Since(begin) > time.Minute {
			return w, fmt.Errorf("web served no page within a minute; see %s", logPath)
		}
		time.Sleep(2 * time.Millisecond)
	}
	log.Printf("web served its first page %s after exec", w.firstPage.Round(time.Millisecond))

	// The profile covers the measured cycles: it starts now (the first cycle with it, as
	// the whole first cycle cannot be told apart) and lasts as long as they should.
	profiled := make(chan error, 1)
	if o.profile != "" {
		secs := int(max(time.Duration(o.cycles+1)*o.interval, 10*time.Second) / time.Second)
		go func() {
			profiled <- fetchTo("http://"+debugAddr+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), o.profile)
		}()
	}
	// Each cluster's first cycle meets every group for the first time; the cycles after it
	// are the steady state measured.
	seen := map[string]float64{}
	per := map[string][]time.Duration{}
	deadline := time.Now().Add(time.Duration(o.cycles+3)*o.interval + 5*time.Minute)
	for {
		m, err := scrape(base + "/metrics")
		if err != nil {
			return w, err
		}
		done := true
		for _, c := range cs {
			n := m[`lagboard_poll_cycles_total{cluster="`+c.name+`"}`]
			if n > seen[c.name] {
				if seen[c.name] >= 1 { // the first cycle is the warm-up
					d := m[`lagboard_poll_duration_seconds{cluster="`+c.name+`"}`]
					per[c.name] = append(per[c.name], time.Duration(d*float64(time.Second)))
				}
				seen[c.name] = n
			}
			done = done && len(per[c.name]) >= o.cycles
		}
		if done {
			w.stale = map[string]float64{}
			for _, c := range cs {
				w.stale[c.name] = m[`lagboard_poll_stale_groups{cluster="`+c.name+`"}`]
			}
			break
		}
		if time.Now().After(deadline) {
			// Report what was measured: a run that cannot keep the interval says so with
			// its figures, rather than nothing.
			w.partial = true
			w.stale = map[string]float64{}
			for _, c := range cs {
				w.stale[c.name] = m[`lagboard_poll_stale_groups{cluster="`+c.name+`"}`]
			}
			log.Printf("web did not complete %d cycles per cluster by the deadline (seen %v); reporting what it did; see %s", o.cycles, seen, logPath)
			break
		}
		// As often as a demanding Prometheus would: at 20,000 groups /metrics is a few
		// megabytes, and reading it ten times a second cost the web process most of its CPU
		// and half its heap in the first runs.
		time.Sleep(2 * time.Second)
	}
	n := o.cycles
	for _, c := range cs {
		n = min(n, len(per[c.name]))
	}
	if n == 0 {
		return w, fmt.Errorf("web completed no cycle after its first on some cluster (seen %v); see %s", seen, logPath)
	}
	w.cycles = n
	for _, c := range cs {
		c.durations = per[c.name][:n]
	}
	for r := range n {
		var worst time.Duration
		for _, c := range cs {
			worst = max(worst, c.durations[r])
		}
		w.rounds = append(w.rounds, worst)
	}
	w.rss, w.peakRSS = memoryOf(cmd.Process.Pid)
	if o.profile != "" {
		if err := fetchTo("http://"+debugAddr+"/debug/pprof/heap", o.profile+".heap"); err != nil {
			return w, err
		}
		if err := <-profiled; err != nil {
			return w, err
		}
		log.Printf("CPU profile in %s, heap in %s.heap: go tool pprof -top %s %s", o.profile, o.profile, o.web, o.profile)
	}
	// One page of the groups list over every cluster, as someone opening the dashboard.
	t := time.Now()
	if resp, err := http.Get(base + "/groups?sort=lag&dir=desc"); err == nil {
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // timing only
		resp.Body.Close()
		w.groupsPerPage = time.Since(t)
	}
	return w, nil
}

// freeAddr is a loopback address free at the moment.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// fetchTo saves what url answers to path.
func fetchTo(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var metricLine = regexp.MustCompile(`^(lagboard_poll_[a-z_]+\{cluster="[^"]+"\}) ([0-9.e+-]+)$`)

// scrape reads the poll metrics of a /metrics page.
func scrape(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := metricLine.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			out[m[1]] = v
		}
	}
	return out, sc.Err()
}

// memoryOf reads a process's resident and peak resident memory.
func memoryOf(pid int) (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb * 1024
		case "VmHWM":
			peak = kb * 1024
		}
	}
	return rss, peak
}

// storedQueue is a queue as Lagboard stored it.
type storedQueue struct{ max, consumer int64 }

// stored is what Lagboard stored of every group: lag by cluster and group, queues by
// cluster, group, topic, broker and queue.
type stored struct {
	lags   map[string]*int64
	queues map[string]storedQueue
}

func groupKey(cluster, group string) string { return cluster + "\x00" + group }

func queueKey(cluster, group, topic, broker string, queue int) string {
	return cluster + "\x00" + group + "\x00" + topic + "\x00" + broker + "\x00" + strconv.Itoa(queue)
}

func readStored(ctx context.Context, pool *pgxpool.Pool) (stored, error) {
	s := stored{lags: map[string]*int64{}, queues: map[string]storedQueue{}}
	rows, err := pool.Query(ctx, `SELECT c.name, g.group_name, g.lag FROM group_state g JOIN cluster c ON c.id = g.cluster_id`)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var cl, g string
		var lag *int64
		if err := rows.Scan(&cl, &g, &lag); err != nil {
			return s, err
		}
		s.lags[groupKey(cl, g)] = lag
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	rows, err = pool.Query(ctx, `SELECT c.name, q.group_name, q.topic, q.broker_name, q.queue_id, q.max_offset, q.consumer_offset
		FROM queue_state q JOIN cluster c ON c.id = q.cluster_id`)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var cl, g, t, b string
		var q int
		var sq storedQueue
		if err := rows.Scan(&cl, &g, &t, &b, &q, &sq.max, &sq.consumer); err != nil {
			return s, err
		}
		s.queues[queueKey(cl, g, t, b, q)] = sq
	}
	return s, rows.Err()
}

// comparison is how mqadmin's numbers compare with Lagboard's.
type comparison struct {
	wall                    time.Duration // every cluster's consumerProgress, run at once
	groups, groupsEqual     int
	queues, queuesEqual     int
	sampleQueues, sampleEq  int
	missing, differ, extras []string
}

// mqadminCmd runs the official admin tool of a broker's release. ROCKETMQ_HOME points at a
// directory holding only the tools' logging configuration (4.x refuses to start without
// one), which logs nothing.
func mqadminCmd(ctx context.Context, c *cluster, args ...string) *exec.Cmd {
	lib := filepath.Join(cacheDir(), "rocketmq", c.rmq.Version, "lib", "*")
	cmd := exec.CommandContext(ctx, "java", append([]string{"-cp", lib, "org.apache.rocketmq.tools.command.MQAdminStartup"}, args...)...)
	cmd.Env = append(os.Environ(), "ROCKETMQ_HOME="+toolsHome)
	return cmd
}

// toolsHome is the ROCKETMQ_HOME of mqadmin runs, made by makeToolsHome.
var toolsHome string

func makeToolsHome() (func(), error) {
	dir, err := os.MkdirTemp("", "lagbench-tools-")
	if err != nil {
		return nil, err
	}
	conf := `<?xml version="1.0" encoding="UTF-8"?>
<configuration><root level="OFF"/></configuration>
`
	if err := os.MkdirAll(filepath.Join(dir, "conf"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "conf", "logback_tools.xml"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	toolsHome = dir
	return func() { os.RemoveAll(dir) }, nil //nolint:errcheck // a temporary directory
}

func cacheDir() string {
	if d := os.Getenv("LAGBOARD_CACHE"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "lagboard")
}

// compareWithMQAdmin runs consumerProgress over every cluster at once (timed), then
// brokerConsumeStats on each broker (every queue of every group) and consumerProgress -g on
// a sample of groups, and compares their numbers with what Lagboard stored.
func compareWithMQAdmin(ctx context.Context, o options, cs []*cluster, s stored) (comparison, error) {
	var r comparison
	outs := make([][]byte, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	begin := time.Now()
	for i, c := range cs {
		wg.Go(func() {
			t := time.Now()
			outs[i], errs[i] = mqadminCmd(ctx, c, "consumerProgress", "-n", c.rmq.NamesrvAddr).Output()
			c.mqadmin = time.Since(t)
		})
	}
	wg.Wait()
	r.wall = time.Since(begin)
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("mqadmin consumerProgress: %w", err)
	}
	log.Printf("mqadmin consumerProgress over every cluster took %s", r.wall.Round(time.Millisecond))
	note := func(list *[]string, format string, args ...any) {
		if len(*list) < 10 {
			*list = append(*list, fmt.Sprintf(format, args...))
		}
	}
	for i, c := range cs {
		for _, line := range strings.Split(string(outs[i]), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || strings.HasPrefix(f[0], "#") || !strings.HasPrefix(f[0], c.name+"-") {
				continue
			}
			diff, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				continue
			}
			r.groups++
			lag, ok := s.lags[groupKey(c.name, f[0])]
			switch {
			case !ok:
				note(&r.missing, "%s/%s: listed by mqadmin, not stored", c.name, f[0])
			case lag == nil || *lag != diff:
				note(&r.differ, "%s/%s: mqadmin diff %d, Lagboard lag %v", c.name, f[0], diff, fmtPtr(lag))
			default:
				r.groupsEqual++
			}
		}
	}
	// check compares one queue line of mqadmin with what Lagboard stored: the line's fields
	// from the topic on are topic, [group,] broker, queue id, broker offset, consumer offset.
	check := func(c *cluster, group string, f []string, total, equal *int) {
		topic, rest := f[0], f[1:]
		if group == "" {
			group, rest = rest[0], rest[1:]
		}
		q, _ := strconv.Atoi(rest[1])
		bo, _ := strconv.ParseInt(rest[2], 10, 64)
		co, _ := strconv.ParseInt(rest[3], 10, 64)
		*total++
		if got, ok := s.queues[queueKey(c.name, group, topic, rest[0], q)]; ok && got.max == bo && got.consumer == co {
			*equal++
		} else {
			note(&r.differ, "%s/%s %s/%s/%d: mqadmin %d/%d, Lagboard %+v (stored %v)", c.name, group, topic, rest[0], q, bo, co, got, ok)
		}
	}
	// Every queue of every group, from each broker's own report.
	for _, c := range cs {
		out, err := mqadminCmd(ctx, c, "brokerConsumeStats", "-b", c.rmq.BrokerAddr, "-t", "120000").Output()
		if err != nil {
			return r, fmt.Errorf("mqadmin brokerConsumeStats on %s: %w", c.name, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 7 && strings.HasPrefix(f[1], c.name+"-") {
				check(c, "", f, &r.queues, &r.queuesEqual)
			}
		}
	}
	// A sample read group by group, the way consumerProgress -g reads it.
	for _, c := range cs {
		for range o.sample {
			g := c.fleet.GroupName(rand.IntN(c.fleet.Groups))
			out, err := mqadminCmd(ctx, c, "consumerProgress", "-n", c.rmq.NamesrvAddr, "-g", g).Output()
			if err != nil {
				return r, fmt.Errorf("mqadmin consumerProgress -g %s: %w", g, err)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if f := strings.Fields(line); len(f) >= 5 && strings.HasPrefix(f[0], c.name+"-") {
					check(c, g, f, &r.sampleQueues, &r.sampleEq)
				}
			}
		}
	}
	// Groups Lagboard stored that mqadmin did not list.
	listed := r.groups
	want := 0
	for k := range s.lags {
		if slices.ContainsFunc(cs, func(c *cluster) bool { return strings.HasPrefix(k, c.name+"\x00"+c.name+"-") }) {
			want++
		}
	}
	if want != listed {
		note(&r.extras, "Lagboard stored %d fleet groups, mqadmin listed %d", want, listed)
	}
	return r, nil
}

func fmtPtr(p *int64) string {
	if p == nil {
		return "unknown"
	}
	return strconv.FormatInt(*p, 10)
}

func report(o options, load string, cs []*cluster, w webFigures, s stored, c comparison) {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("")
	p("lagbench: %d groups × %d queues over %d clusters, %d messages per queue, poll interval %s", o.groups, o.queues, o.clusters, o.messages, o.interval)
	p("machine: %s; load average before the run: %s", machine(), load)
	p("")
	p("web: first page %s after exec; resident memory %.1f MB (peak %.1f MB) after %d cycles per cluster",
		w.firstPage.Round(time.Millisecond), float64(w.rss)/1e6, float64(w.peakRSS)/1e6, w.cycles+1)
	if w.partial {
		p("  PARTIAL: %d of the %d cycles asked for completed on every cluster by the deadline", w.cycles, o.cycles)
	}
	for _, cl := range cs {
		sorted := slices.Clone(cl.durations)
		slices.Sort(sorted)
		p("  %s (%s, %d groups): cycles %v, median %s, stale groups %v", cl.name, cl.rmq.Version, cl.fleet.Groups,
			roundAll(cl.durations), sorted[len(sorted)/2].Round(time.Millisecond), w.stale[cl.name])
	}
	rounds := slices.Clone(w.rounds)
	slices.Sort(rounds)
	median := rounds[len(rounds)/2]
	p("  every cluster at once, slowest cluster per round: %v, median %s", roundAll(w.rounds), median.Round(time.Millisecond))
	p("  groups page, first 100 of %d sorted by lag: %s", len(s.lags), w.groupsPerPage.Round(time.Millisecond))
	if o.skipMQAdmin {
		fmt.Print(b.String())
		return
	}
	p("")
	p("mqadmin consumerProgress, every cluster at once: %s (per cluster: %s)", c.wall.Round(time.Millisecond), mqTimes(cs))
	p("  Lagboard is %.0f× faster (median round %s)", float64(c.wall)/float64(median), median.Round(time.Millisecond))
	p("  groups: %d of %d equal (diff total = lag)", c.groupsEqual, c.groups)
	p("  queues (brokerConsumeStats, every queue of every group): %d of %d equal; %d queues expected", c.queuesEqual, c.queues, o.groups/o.clusters*o.clusters*o.queues)
	p("  queues (consumerProgress -g, %d groups per cluster): %d of %d equal", o.sample, c.sampleEq, c.sampleQueues)
	for _, l := range [][]string{c.missing, c.differ, c.extras} {
		for _, x := range l {
			p("  ! %s", x)
		}
	}
	fmt.Print(b.String())
}

func roundAll(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond).String()
	}
	return out
}

func mqTimes(cs []*cluster) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %s", c.name, c.mqadmin.Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func machine() string {
	cpus := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		cpus = bytes.Count(b, []byte("\nprocessor")) + cmp.Compare(len(b), 0)
	}
	return fmt.Sprintf("%d CPUs", cpus)
}
