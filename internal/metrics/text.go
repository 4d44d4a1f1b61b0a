package metrics

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/lagboard/lagboard/internal/storage"
)

// The families with a series per group, or per topic of a group, are written straight
// from the stored state in the text exposition format. Through the client library's
// registry every series is built, checked and sorted on its own: at 20,000 groups one scrape
// took 2.7 s of CPU and allocated 240 MB (BenchmarkScrape20000Groups, docs/BENCHMARKS.md).
// The families of the process itself (pollers, alerting, Go runtime) stay in the registry.

// family is one metric family written here; every one is a gauge.
type family struct{ name, help string }

var (
	lagFamily = family{"lagboard_group_lag_messages",
		"Messages not yet consumed by the group on the topic (max offset - committed offset, summed over queues)."}
	lagSecondsFamily = family{"lagboard_group_lag_seconds",
		"Age in seconds of the oldest message the group has not consumed on the topic; absent when unknown."}
	expiredFamily = family{"lagboard_group_expired_messages",
		"Messages deleted by retention before the group read them, on the topic (min offset - committed offset, summed over queues)."}
	statusFamily = family{"lagboard_group_status",
		"1 for the group's current health status, 0 for the others."}
	clientsFamily = family{"lagboard_group_clients",
		"Online clients of the group; absent when unknown."}
	dataAgeFamily = family{"lagboard_group_data_age_seconds",
		"Seconds since the group was last read successfully."}
	kindFamily = family{"lagboard_group_info",
		"1 for every group, labelled with how it consumes: push, pull, simple, pop, or empty when unknown."}
	inflightFamily = family{"lagboard_group_inflight_messages",
		"Messages delivered to the group and not yet acknowledged (committed); absent when unknown."}
	redeliveredFamily = family{"lagboard_group_redelivered_messages",
		"Simple and pop groups: messages that came back unacknowledged after their invisible time, since the group's retry topics were created."}
	deadLettersFamily = family{"lagboard_group_dead_letters",
		"Messages sent to the group's dead-letter topic since it was created; absent without one."}
	drainFamily = family{"lagboard_group_drain_seconds",
		"Estimated seconds until the group has consumed every waiting message of the topic, at the rates of the recent window: 0 when caught up, +Inf when the backlog grows or stands still; absent when unknown."}
	lagRateFamily = family{"lagboard_group_lag_growth_rate",
		"Messages per second the group's lag on the topic changes by over the recent window; negative while it shrinks."}
	produceRateFamily = family{"lagboard_group_produce_rate",
		"Messages per second written to the topic over the recent window."}
	consumeRateFamily = family{"lagboard_group_consume_rate",
		"Messages per second the group's position on the topic advanced over the recent window."}
)

// groupFamilies lists every family written here.
var groupFamilies = []family{lagFamily, lagSecondsFamily, expiredFamily, statusFamily, clientsFamily, dataAgeFamily,
	kindFamily, inflightFamily, redeliveredFamily, deadLettersFamily, drainFamily, lagRateFamily, produceRateFamily,
	consumeRateFamily}

// textFormat is the exposition format served: Prometheus text 0.0.4, which every scraper reads.
var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// Handler serves the metrics: the group families from the stored state, then what reg
// gathers (this collector's own families among them). A failure to gather is logged and
// what could be gathered is served; the stored state unread shows as
// lagboard_metrics_store_up 0 and no group series.
func (c *Collector) Handler(reg prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lags, healths, more, _ := c.read()
		mfs, err := reg.Gather()
		if err != nil {
			c.logger.Warn("metrics: gathering", "err", err)
		}
		w.Header().Set("Content-Type", string(textFormat))
		var out io.Writer = w
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			w.Header().Set("Content-Encoding", "gzip")
			gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // a valid level: no error
			defer gz.Close()
			out = gz
		}
		bw := bufio.NewWriterSize(out, 64<<10)
		writeGroups(bw, lags, healths, more.drains, c.now())
		enc := expfmt.NewEncoder(bw, textFormat)
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil { // the registry checked the families: a write failed
				c.logger.Debug("metrics: writing", "err", err) // the scraper went away
				return
			}
		}
		if err := bw.Flush(); err != nil {
			c.logger.Debug("metrics: writing", "err", err)
		}
	})
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip (RFC 9110 12.5.3: not
// when its weight is 0).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := 1.0
		for param := range strings.SplitSeq(params, ";") {
			if k, v, _ := strings.Cut(strings.TrimSpace(param), "="); strings.EqualFold(k, "q") {
				q, _ = strconv.ParseFloat(v, 64) // unreadable: 0, not accepted
			}
		}
		return q > 0
	}
	return false
}

// writeGroups writes the group families, each family's series together.
func writeGroups(w *bufio.Writer, lags []storage.TopicLag, healths []storage.GroupHealth, drains []storage.ClusterTopicDrain, now time.Time) {
	t := textWriter{w: w}
	topic := func(f family, value func(storage.TopicLag) (float64, bool)) {
		t.header(f)
		for _, l := range lags {
			if v, ok := value(l); ok {
				t.sample(f, v, "cluster", l.Cluster, "group", l.Group, "topic", l.Topic)
			}
		}
	}
	topic(lagFamily, func(l storage.TopicLag) (float64, bool) { return float64(l.Lag), true })
	topic(lagSecondsFamily, func(l storage.TopicLag) (float64, bool) { return value(l.LagSeconds) })
	topic(expiredFamily, func(l storage.TopicLag) (float64, bool) { return float64(l.Expired), true })

	t.header(statusFamily)
	for _, h := range healths {
		for _, s := range Statuses {
			v := 0.0
			if s == h.Health {
				v = 1
			}
			t.sample(statusFamily, v, "cluster", h.Cluster, "group", h.Group, "status", s)
		}
	}
	group := func(f family, value func(storage.GroupHealth) (float64, bool)) {
		t.header(f)
		for _, h := range healths {
			if v, ok := value(h); ok {
				t.sample(f, v, "cluster", h.Cluster, "group", h.Group)
			}
		}
	}
	group(clientsFamily, func(h storage.GroupHealth) (float64, bool) { return value(h.Clients) })
	group(dataAgeFamily, func(h storage.GroupHealth) (float64, bool) { return now.Sub(h.PolledAt).Seconds(), true })
	t.header(kindFamily)
	for _, h := range healths {
		t.sample(kindFamily, 1, "cluster", h.Cluster, "group", h.Group, "kind", h.Kind)
	}
	group(inflightFamily, func(h storage.GroupHealth) (float64, bool) { return value(h.Inflight) })
	group(deadLettersFamily, func(h storage.GroupHealth) (float64, bool) { return value(h.DLQTotal) })
	group(redeliveredFamily, func(h storage.GroupHealth) (float64, bool) { return value(h.Redelivered) })

	drain := func(f family, value func(storage.ClusterTopicDrain) (float64, bool)) {
		t.header(f)
		for _, d := range drains {
			if v, ok := value(d); ok {
				t.sample(f, v, "cluster", d.Cluster, "group", d.Group, "topic", d.Topic)
			}
		}
	}
	drain(drainFamily, func(d storage.ClusterTopicDrain) (float64, bool) {
		if d.State == storage.DrainGrowing || d.State == storage.DrainFlat {
			return math.Inf(1), true
		}
		return value(d.Seconds)
	})
	drain(lagRateFamily, func(d storage.ClusterTopicDrain) (float64, bool) { return value(d.LagRate) })
	drain(produceRateFamily, func(d storage.ClusterTopicDrain) (float64, bool) { return value(d.ProduceRate) })
	drain(consumeRateFamily, func(d storage.ClusterTopicDrain) (float64, bool) { return value(d.ConsumeRate) })
}

// value is *p as a sample value, false when p is nil (the series is left out).
func value[N int32 | int64 | float64](p *N) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return float64(*p), true
}

// textWriter writes the text exposition format. Errors stay in the bufio.Writer, which
// drops every write after the first failure; Handler reads it at the flush.
type textWriter struct {
	w   *bufio.Writer
	num []byte
}

func (t *textWriter) header(f family) {
	t.w.WriteString("# HELP ")
	t.w.WriteString(f.name)
	t.w.WriteByte(' ')
	helpEscaper.WriteString(t.w, f.help) //nolint:errcheck // kept by the bufio.Writer
	t.w.WriteString("\n# TYPE ")
	t.w.WriteString(f.name)
	t.w.WriteString(" gauge\n")
}

// sample writes one series: the family's name, the labels given as name, value pairs, and v.
func (t *textWriter) sample(f family, v float64, labels ...string) {
	t.w.WriteString(f.name)
	t.w.WriteByte('{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			t.w.WriteByte(',')
		}
		t.w.WriteString(labels[i])
		t.w.WriteString(`="`)
		if strings.ContainsAny(labels[i+1], "\\\"\n") {
			labelEscaper.WriteString(t.w, labels[i+1]) //nolint:errcheck // kept by the bufio.Writer
		} else {
			t.w.WriteString(labels[i+1])
		}
		t.w.WriteByte('"')
	}
	t.w.WriteString("} ")
	switch {
	case math.IsInf(v, 1):
		t.w.WriteString("+Inf")
	case math.IsInf(v, -1):
		t.w.WriteString("-Inf")
	case math.IsNaN(v):
		t.w.WriteString("NaN")
	default:
		t.num = strconv.AppendFloat(t.num[:0], v, 'g', -1, 64)
		t.w.Write(t.num) //nolint:errcheck // kept by the bufio.Writer
	}
	t.w.WriteByte('\n')
}

// The text format escapes backslash and newline in help, and the double quote too in
// label values.
var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)
