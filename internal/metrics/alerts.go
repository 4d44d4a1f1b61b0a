package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/storage"
)

// Alerting: what fires, what waits in the outbox (shared, from Postgres), and what this
// process sent (per process: only the replica holding the sender lock sends).
var (
	firingDesc = prometheus.NewDesc("lagboard_alert_firing",
		"1 for each alert firing now, by the rule that fires it.", []string{"cluster", "group", "rule"}, nil)
	pendingDesc = prometheus.NewDesc("lagboard_alert_notifications_pending",
		"Notifications waiting in the outbox to be delivered.", nil, nil)
	failingDesc = prometheus.NewDesc("lagboard_alert_notifications_failing",
		"Notifications waiting in the outbox after at least one failed attempt.", nil, nil)
	givenUpDesc = prometheus.NewDesc("lagboard_alert_notifications_given_up",
		"Notifications given up after failing for LAGBOARD_ALERT_GIVE_UP_AFTER, until someone puts them back in the queue.", nil, nil)
	oldestDesc = prometheus.NewDesc("lagboard_alert_oldest_pending_seconds",
		"Age of the oldest notification waiting in the outbox; 0 when none waits.", nil, nil)
	deliveredDesc = prometheus.NewDesc("lagboard_alert_deliveries_total",
		"Notifications this process delivered, by receiver kind.", []string{"receiver"}, nil)
	deliveryFailDesc = prometheus.NewDesc("lagboard_alert_delivery_failures_total",
		"Delivery attempts of this process that failed, by receiver kind.", []string{"receiver"}, nil)
	refreshFailDesc = prometheus.NewDesc("lagboard_alert_refresh_failures_total",
		"Failed pushes of firing alerts to Alertmanager to keep them firing there.", nil, nil)
	senderActiveDesc = prometheus.NewDesc("lagboard_alert_sender_active",
		"1 when this process is the replica sending notifications.", nil, nil)
	evalFailDesc = prometheus.NewDesc("lagboard_alert_evaluation_failures_total",
		"Alert evaluations of this process that failed and were left out of their poll.", nil, nil)
)

// Alerts is what the collector reports of this process's alerting.
type Alerts struct {
	Sender    *alert.Sender
	Evaluator *alert.Evaluator
}

// WithAlerts makes the collector report time to drain and alerting; without it, it reports
// only time to drain.
func (c *Collector) WithAlerts(a Alerts) *Collector {
	c.alerts = &a
	return c
}

func alertDescs() []*prometheus.Desc {
	return []*prometheus.Desc{firingDesc, pendingDesc,
		failingDesc, givenUpDesc, oldestDesc, deliveredDesc, deliveryFailDesc, refreshFailDesc, senderActiveDesc, evalFailDesc}
}

// stored is what the collector reads from Postgres besides lags and healths.
type stored struct {
	drains []storage.ClusterTopicDrain
	firing []storage.FiringAlert
	outbox storage.OutboxStats
}

func readStored(ctx context.Context, db storage.DBTX) (stored, error) {
	var s stored
	var err error
	if s.drains, err = storage.AllTopicDrains(ctx, db); err != nil {
		return s, err
	}
	if s.firing, err = storage.FiringAlerts(ctx, db); err != nil {
		return s, err
	}
	s.outbox, err = storage.ReadOutboxStats(ctx, db)
	return s, err
}

func (c *Collector) collectAlerts(ch chan<- prometheus.Metric, s stored) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if c.alerts == nil {
		return
	}
	for _, a := range s.firing {
		gauge(firingDesc, 1, a.Cluster, a.Group, a.RuleName)
	}
	gauge(pendingDesc, float64(s.outbox.Pending))
	gauge(failingDesc, float64(s.outbox.Failing))
	gauge(givenUpDesc, float64(s.outbox.GivenUp))
	oldest := 0.0
	if s.outbox.OldestPending != nil {
		oldest = max(c.now().Sub(*s.outbox.OldestPending).Seconds(), 0)
	}
	gauge(oldestDesc, oldest)
	if snd := c.alerts.Sender; snd != nil {
		var refresh uint64
		for _, kind := range alert.ReceiverKinds {
			st := snd.Stats()[kind]
			ch <- prometheus.MustNewConstMetric(deliveredDesc, prometheus.CounterValue, float64(st.Delivered), kind)
			ch <- prometheus.MustNewConstMetric(deliveryFailDesc, prometheus.CounterValue, float64(st.Failed), kind)
			refresh += st.RefreshFailed
		}
		ch <- prometheus.MustNewConstMetric(refreshFailDesc, prometheus.CounterValue, float64(refresh))
		active := 0.0
		if snd.Active() {
			active = 1
		}
		gauge(senderActiveDesc, active)
	}
	if e := c.alerts.Evaluator; e != nil {
		ch <- prometheus.MustNewConstMetric(evalFailDesc, prometheus.CounterValue, float64(e.Failures()))
	}
}
