// Package poller reads every consumer group's progress from a RocketMQ cluster on a
// schedule, computes lag in messages and in time and a health status, and stores the result
// in Postgres. One poller runs per cluster; with several dashboard replicas, a Postgres
// advisory lock lets exactly one of them poll each cluster (lead.go).
package poller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/storage"
)

// Admin is what the poller needs of the RocketMQ admin client.
type Admin interface {
	ClusterInfo(ctx context.Context, namesrvAddr string) (mqadmin.ClusterInfo, error)
	TopicList(ctx context.Context, namesrvAddr string) ([]string, error)
	BrokerRuntimeInfo(ctx context.Context, brokerAddr string) (map[string]string, error)
	SubscriptionGroups(ctx context.Context, brokerAddr string) (map[string]mqadmin.SubscriptionGroupConfig, error)
	ConsumeStats(ctx context.Context, brokerAddr, group, topic string) (mqadmin.ConsumeStats, error)
	BrokerConsumeStats(ctx context.Context, brokerAddr string, orderOnly bool) (mqadmin.BrokerConsumeStats, error)
	ConsumerConnections(ctx context.Context, brokerAddr, group string) (mqadmin.ConsumerConnection, error)
	TopicStats(ctx context.Context, brokerAddr, topic string) (mqadmin.TopicStats, error)
	ConsumeTimeSpans(ctx context.Context, brokerAddr, group, topic string) ([]mqadmin.QueueTimeSpan, error)
	ConsumerRunningInfo(ctx context.Context, brokerAddr, group, clientID string, jstack bool) (mqadmin.ConsumerRunningInfo, error)
	TopicConsumers(ctx context.Context, brokerAddr, topic string) ([]string, error)
	BrokerOffsets(ctx context.Context, brokerAddr string) (mqadmin.BrokerOffsets, error)
	InitialOffset(ctx context.Context, brokerAddr, group, topic string, queueID int) (int64, error)
	BrokerStats(ctx context.Context, brokerAddr, name, key string) (mqadmin.BrokerStatsData, error)
	SearchOffsetByTimestamp(ctx context.Context, brokerAddr, topic string, queueID int, ts time.Time) (int64, error)
	PullMessages(ctx context.Context, brokerAddr, topic string, queueID int, offset int64, max int) (mqadmin.PullResult, error)
}

// Config configures the poller of one cluster.
type Config struct {
	Cluster      string
	ClusterID    int64
	NamesrvAddrs []string
	Admin        Admin
	Pool         *pgxpool.Pool
	Logger       *slog.Logger
	// Interval between cycles; 10 s when zero.
	Interval time.Duration
	// CycleTimeout bounds one whole cycle; 80% of the interval when zero. Whatever a broker
	// has not answered by then is stale for this cycle, not waited for.
	CycleTimeout time.Duration
	// CallTimeout bounds one request; 3 s when zero.
	CallTimeout time.Duration
	// BrokerConcurrency is the number of requests in flight to one broker; 8 when zero.
	BrokerConcurrency int
	// DeriveAbove is how many groups a broker may keep offsets for and still be asked for
	// them all with GET_BROKER_CONSUME_STATS; 2,000 when zero. That request costs the broker
	// time in the square of its groups (each group's topics are found by scanning the whole
	// offset table), 0.6 s at 1,000 groups. Above it, each group's progress is derived from
	// the broker's offset table and its topics' max offsets (wide.go), without the consume
	// rate and the last consumed message's store time, which only that request carries.
	DeriveAbove int
	// Health holds the spans health is judged over; Window 10 min and StallAfter 1 min when
	// zero.
	Health HealthRules
	// TopicScanInterval is how often every topic's consumers are asked for, to find groups
	// that show only through their online clients; 1 min when zero.
	TopicScanInterval time.Duration
	// ConnectionsRefresh is how often every group's online clients are asked for even when
	// nothing says they changed (see connections); 1 min when zero.
	ConnectionsRefresh time.Duration
	// RunningInfoInterval is how often the clients of a clustering group are asked which
	// queues they own and lock, besides whenever the set of clients changes; 1 min when
	// zero. Broadcasting groups' clients are asked every cycle: they hold the offsets.
	RunningInfoInterval time.Duration
	// Retention of history; storage.DefaultRetention when zero.
	Retention storage.Retention
	// DrainWindow is how far back time to drain looks (drain.go); DefaultDrainWindow when zero.
	DrainWindow time.Duration
	// InCycle runs inside each cycle's transaction once its state is written, when set:
	// alert evaluation, whose decisions must commit with the state that caused them.
	InCycle storage.CycleStep
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Poller polls one cluster. PollOnce runs one cycle; Run runs cycles until cancelled.
type Poller struct {
	cfg Config
	// admin is cfg.Admin, counting each cycle's requests.
	admin *countingAdmin
	// conns are the groups' online clients as last asked (connections); cycleNo counts
	// the cycles that fetched, to spread the periodic asks.
	conns   map[string]connMemo
	cycleNo uint64
	// scratch holds the group's window while its health is evaluated, reused group after
	// group (judge runs on the cycle's goroutine only).
	scratch []sample
	// extents are the topics' extents as last read, by broker and topic.
	extents map[string]map[string]extentMemo
	// known is what this poller's cycles left in queue_state, so a cycle writes only what
	// changed; new with each seed (a replica taking the cluster over knows nothing).
	known *storage.KnownQueues
	// versions are the brokers' versions as last read, by address.
	versions map[string]versionMemo

	// State kept between cycles, touched only by the goroutine running cycles.
	seeded     bool
	groups     map[string]*groupTrack
	queues     map[storage.QueueKey]track[queueValue]
	topics     map[storage.TopicKey]topicTrack
	queueIDs   map[storage.QueueKey]int32
	topicIDs   map[storage.TopicKey]int32
	failing    map[string]string     // what is failing now → its error, to log changes once
	storeTimes map[spanKey]time.Time // store time of the first unconsumed message, per queue behind
	// online holds groups found only by asking who consumes each topic, and when that was.
	online     map[string]bool
	onlineAt   time.Time
	lastHourly time.Time
	// popLogs follows each 5.x broker's pop records, by broker name.
	popLogs map[string]*popLog
	// dlqSeen is each group's dead-letter total as last stored.
	dlqSeen map[string]int64
	// drainTracks are each group's topics over the drain window.
	drainTracks map[storage.TopicKey]*drainTrack
	// role is what this replica was last logged as: "leader", "follower", or "".
	role string

	leading atomic.Bool // this replica holds the cluster's lock

	mu       sync.Mutex
	last     Report
	cycles   uint64 // cycles run
	failures uint64 // cycles whose Report.Err was set
	lastOK   time.Time
}

// Report summarises one cycle, for logs, metrics and tests.
type Report struct {
	At       time.Time
	Duration time.Duration
	// Fetch and Store are the parts of Duration spent reading the cluster and writing to
	// Postgres; the rest is computing.
	Fetch, Store time.Duration
	Groups       int
	Queues       int
	Stale        map[string]string // group → why it is stale
	Brokers      []storage.BrokerState
	// Requests counts the requests the cycle sent to name servers, brokers and (through
	// brokers) clients, by kind.
	Requests map[string]int
	// RequestTime is how long the requests of each kind took, summed.
	RequestTime map[string]time.Duration
	Err         error // the cycle as a whole failed (name servers or Postgres)
}

// New returns a poller with defaults filled in.
func New(cfg Config) *Poller {
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.CycleTimeout <= 0 {
		cfg.CycleTimeout = cfg.Interval * 8 / 10
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 3 * time.Second
	}
	if cfg.BrokerConcurrency <= 0 {
		cfg.BrokerConcurrency = 8
	}
	if cfg.Health.Window <= 0 {
		cfg.Health.Window = 10 * time.Minute
	}
	if cfg.Health.StallAfter <= 0 {
		cfg.Health.StallAfter = time.Minute
	}
	cfg.Health.Interval = cfg.Interval
	if cfg.TopicScanInterval <= 0 {
		cfg.TopicScanInterval = time.Minute
	}
	if cfg.DeriveAbove == 0 {
		cfg.DeriveAbove = 2000
	}
	if cfg.ConnectionsRefresh <= 0 {
		cfg.ConnectionsRefresh = time.Minute
	}
	if cfg.RunningInfoInterval <= 0 {
		cfg.RunningInfoInterval = time.Minute
	}
	if cfg.Retention == (storage.Retention{}) {
		cfg.Retention = storage.DefaultRetention
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = cfg.Logger.With("cluster", cfg.Cluster)
	return &Poller{
		admin:    newCountingAdmin(cfg.Admin),
		cfg:      cfg,
		groups:   map[string]*groupTrack{},
		queues:   map[storage.QueueKey]track[queueValue]{},
		topics:   map[storage.TopicKey]topicTrack{},
		queueIDs: map[storage.QueueKey]int32{},
		topicIDs: map[storage.TopicKey]int32{},
		failing:  map[string]string{},
	}
}

// Last returns the report of the latest cycle.
func (p *Poller) Last() Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// Stats are the poller's counters since start, for metrics.
type Stats struct {
	Cluster  string
	Cycles   uint64
	Failures uint64
	Last     Report
	LastOK   time.Time // end of the last cycle that stored its result
	// Leading is true while this replica holds the cluster's lock and polls it.
	Leading bool
}

// Stats returns the poller's counters.
func (p *Poller) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Cluster: p.cfg.Cluster, Cycles: p.cycles, Failures: p.failures, Last: p.last, LastOK: p.lastOK,
		Leading: p.leading.Load()}
}

// Run polls every interval until ctx is cancelled, while this replica holds the cluster's
// lock (lead.go). Without it, it waits for the lock, an interval at a time, and serves as
// a follower meanwhile: pages read Postgres, whoever polls.
func (p *Poller) Run(ctx context.Context) error {
	lock := storage.NewSessionLock(p.cfg.Pool.Config().ConnConfig, lockName(p.cfg.Cluster),
		storage.SessionLockOptions{IdleTimeout: lockIdleTimeout(p.cfg.Interval)})
	defer func() {
		lock.Close()
		p.leading.Store(false)
	}()
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	for {
		held, err := lock.Acquire(ctx, p.cfg.Interval)
		if ctx.Err() != nil {
			return nil
		}
		if p.lead(held, err) {
			tick.Reset(p.cfg.Interval) // cycles an interval apart from the takeover on
		}
		switch {
		case held:
			p.pollOnce(ctx, lock.Conn())
		case err == nil:
			continue // Acquire waited an interval for the lock
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// change logs a failure once when it starts and once when it ends, not every cycle.
func (p *Poller) change(what, failure, msg string) {
	prev, was := p.failing[what]
	switch {
	case failure == "" && was:
		delete(p.failing, what)
		p.cfg.Logger.Info("recovered", "what", what, "was", prev)
	case failure != "" && (!was || prev != failure):
		p.failing[what] = failure
		p.cfg.Logger.Warn(msg, "what", what, "err", failure)
	}
}

var errNoNamesrv = errors.New("no name server answered")
