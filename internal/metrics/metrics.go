// Package metrics exposes Lagboard's view of the clusters to Prometheus: lag per group and
// topic in messages and seconds, time to drain, health, online clients, alerting, and how
// the pollers fare.
//
// Cardinality: one series per (cluster, group, topic) for lag, four more for time to drain
// and its rates, one per (cluster, group) for clients, one per (cluster, group, status) for
// health, seven statuses of which exactly one is 1, and one per firing alert. Group metrics
// come from the stored latest state, so every replica reports the same values, and are
// written by Handler itself (text.go); poller metrics are per process (only the replica
// holding a cluster's lock polls it, and says so in lagboard_poll_leader).
package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/storage"
)

// Statuses lists every health status, so that each group reports all of them.
var Statuses = []string{poller.OK, poller.Warn, poller.Stall, poller.Stop, poller.Rewind, poller.Offline, poller.Unknown}

var (
	cyclesDesc = prometheus.NewDesc("lagboard_poll_cycles_total",
		"Poll cycles run by this process.", []string{"cluster"}, nil)
	failuresDesc = prometheus.NewDesc("lagboard_poll_failures_total",
		"Poll cycles that could not read the name servers or store their result.", []string{"cluster"}, nil)
	durationDesc = prometheus.NewDesc("lagboard_poll_duration_seconds",
		"Duration of the last poll cycle.", []string{"cluster"}, nil)
	requestsDesc = prometheus.NewDesc("lagboard_poll_requests",
		"Requests the last cycle sent to name servers, brokers and, through brokers, clients, by kind.",
		[]string{"cluster", "request"}, nil)
	staleDesc = prometheus.NewDesc("lagboard_poll_stale_groups",
		"Groups the last cycle could not read from every broker.", []string{"cluster"}, nil)
	lastOKDesc = prometheus.NewDesc("lagboard_poll_last_success_timestamp_seconds",
		"Unix time of the end of the last cycle that stored its result.", []string{"cluster"}, nil)
	leaderDesc = prometheus.NewDesc("lagboard_poll_leader",
		"1 while this replica holds the cluster's lock and polls it, 0 while another replica does.", []string{"cluster"}, nil)
	scrapeErrDesc = prometheus.NewDesc("lagboard_metrics_store_up",
		"1 when the stored state could be read for this scrape.", nil, nil)
)

// Poller is what the collector reads of a cluster's poller in this process.
type Poller interface {
	Stats() poller.Stats
}

// Collector reads the stored state at scrape time, at most once every CacheFor.
type Collector struct {
	db       storage.DBTX
	pollers  []Poller
	logger   *slog.Logger
	cacheFor time.Duration
	now      func() time.Time

	// alerts, when set, is this process's alerting (alerts.go).
	alerts *Alerts

	mu      sync.Mutex
	readAt  time.Time
	lags    []storage.TopicLag
	healths []storage.GroupHealth
	more    stored
	readErr error
}

// New returns a collector over the stored state and this process's pollers.
func New(db storage.DBTX, pollers []*poller.Poller, logger *slog.Logger) *Collector {
	ps := make([]Poller, len(pollers))
	for i, p := range pollers {
		ps[i] = p
	}
	return &Collector{db: db, pollers: ps, logger: logger, cacheFor: 5 * time.Second, now: time.Now}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cyclesDesc, failuresDesc, durationDesc, requestsDesc, staleDesc, lastOKDesc,
		leaderDesc, scrapeErrDesc} {
		ch <- d
	}
	for _, d := range alertDescs() {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	_, _, more, err := c.read()
	up := 1.0
	if err != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, up)
	for _, p := range c.pollers {
		s := p.Stats()
		leader := 0.0
		if s.Leading {
			leader = 1
		}
		ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, leader, s.Cluster)
		ch <- prometheus.MustNewConstMetric(cyclesDesc, prometheus.CounterValue, float64(s.Cycles), s.Cluster)
		ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(s.Failures), s.Cluster)
		// The last cycle's figures describe the cluster only while this replica polls it: a
		// follower's would stand still at what it saw when it last led.
		if s.Leading && s.Cycles > 0 {
			ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, s.Last.Duration.Seconds(), s.Cluster)
			ch <- prometheus.MustNewConstMetric(staleDesc, prometheus.GaugeValue, float64(len(s.Last.Stale)), s.Cluster)
			for kind, n := range s.Last.Requests {
				ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.GaugeValue, float64(n), s.Cluster, kind)
			}
		}
		if !s.LastOK.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastOKDesc, prometheus.GaugeValue, float64(s.LastOK.UnixNano())/1e9, s.Cluster)
		}
	}
	c.collectAlerts(ch, more)
}

// read returns the stored state, read again when the cached copy is older than cacheFor.
func (c *Collector) read() ([]storage.TopicLag, []storage.GroupHealth, stored, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now().Sub(c.readAt) < c.cacheFor {
		return c.lags, c.healths, c.more, c.readErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lags, err := storage.TopicLags(ctx, c.db)
	var (
		healths []storage.GroupHealth
		more    stored
	)
	if err == nil {
		healths, err = storage.GroupHealths(ctx, c.db)
	}
	if err == nil {
		more, err = readStored(ctx, c.db)
	}
	if err != nil {
		c.logger.Warn("metrics: cannot read stored state", "err", err)
		c.lags, c.healths, c.more = nil, nil, stored{}
	} else {
		c.lags, c.healths, c.more = lags, healths, more
	}
	c.readAt, c.readErr = c.now(), err
	return c.lags, c.healths, c.more, err
}
