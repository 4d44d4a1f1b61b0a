package metrics

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lagboard/lagboard/internal/storage"
)

// BenchmarkScrape20000Groups serves /metrics, gzipped as Prometheus asks for it, for 20,000
// groups of two topics each (the topic and its retry topic), the stored state already read:
// what one scrape costs the web process at the scale of the fleet.
func BenchmarkScrape20000Groups(b *testing.B) {
	now := time.Now()
	c := New(nil, nil, slog.New(slog.DiscardHandler))
	c.readAt, c.cacheFor = now, time.Hour
	statuses := []string{"OK", "OK", "OK", "WARN", "STALL", "OFFLINE"}
	for i := range 20000 {
		cluster, group := fmt.Sprintf("cluster-%d", i%4), fmt.Sprintf("group-%05d", i)
		secs, clients := float64(i%300), int32(i%3)
		c.lags = append(c.lags,
			storage.TopicLag{Cluster: cluster, Group: group, Topic: fmt.Sprintf("topic-%03d", i%250), Lag: int64(i % 128), LagSeconds: &secs},
			storage.TopicLag{Cluster: cluster, Group: group, Topic: "%RETRY%" + group})
		c.healths = append(c.healths, storage.GroupHealth{Cluster: cluster, Group: group, Health: statuses[i%len(statuses)],
			Clients: &clients, PolledAt: now, Kind: "push"})
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	h := c.Handler(reg)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		size = w.Body.Len()
		io.Copy(io.Discard, w.Body) //nolint:errcheck // a buffer
	}
	b.ReportMetric(float64(size), "gzip-bytes")
}
