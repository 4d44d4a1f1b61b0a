package http

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/static"
)

// BenchmarkGroupsPage5000 loads the groups page of 5,000 groups over the default order,
// sorts, filters and pages (see benchGroupsPage).
func BenchmarkGroupsPage5000(b *testing.B) {
	benchGroupsPage(b, 5000, []string{"/groups", "/groups?sort=lag&dir=desc", "/groups?sort=lag_time&dir=desc&page=7",
		"/groups?q=fleet-04", "/groups?health=STALL&sort=group", "/groups?model=BROADCASTING&page=3", "/groups?sort=tps&page=50"})
}

// BenchmarkGroupsPage20000 is the same load over 20,000 groups (1.2 million history
// points), every URL sorted and searched as the page's search box and column headings
// make them: searches that match many groups and few, each sorted by another column, on
// first and later pages.
func BenchmarkGroupsPage20000(b *testing.B) {
	benchGroupsPage(b, 20000, []string{"/groups?q=fleet-1&sort=lag&dir=desc", "/groups?q=FLEET-19&sort=group",
		"/groups?q=fleet&sort=lag_time&dir=desc&page=120", "/groups?q=fleet-0&sort=tps&dir=desc&page=9",
		"/groups?q=prod-fleet-12345&sort=kind", "/groups?q=fleet-2&health=STALL&sort=clients&dir=desc",
		"/groups?q=fleet-00&model=BROADCASTING&sort=cluster&page=2"})
}

// benchGroupsPage loads the groups page of n groups (each with an hour of lag history for
// its sparkline) with 50 concurrent clients on loopback, a fixed 2,000 requests spread over
// paths. It reports p50 and p99 latency and the resident memory of the process (server and
// load generator together). The first load of each URL after the start, which runs before
// the measured requests as it does once in a running dashboard, is reported apart
// (cold-ms, the slowest of them).
func benchGroupsPage(b *testing.B, n int, paths []string) {
	env := benchEnv(b)
	s := fleet("prod", n, time.Now())
	s.history = map[string][]int64{}
	for i, g := range s.groups {
		s.groups[i].Kind = []string{"push", "pull", "simple"}[i%3]
		lags := make([]int64, 60)
		for m := range lags {
			lags[m] = int64((i + m*13) % 5000)
		}
		s.history[g.Group] = lags
	}
	start := time.Now()
	s.save(b, env.pool)
	if _, err := env.pool.Exec(b.Context(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d groups and %d history points in %s", n, n*60, time.Since(start).Round(time.Millisecond))
	cold := load(b, env.URL, paths, len(paths), len(paths), nil)
	b.ResetTimer()
	for range b.N {
		lat := load(b, env.URL, paths, 50, 2000, nil)
		report(b, lat)
	}
	b.StopTimer()
	b.ReportMetric(float64(cold[len(cold)-1].Microseconds())/1000, "cold-ms")
	reportMemory(b)
}

// BenchmarkGroupDetail30d loads a group's page and its 30-day chart data, the group having a
// point a minute for 30 days on its topic and its retry topic (86,400 stored points), with
// 10 concurrent clients and 300 requests of each.
func BenchmarkGroupDetail30d(b *testing.B) {
	env := benchEnv(b)
	now := time.Now()
	s := fleet("prod", 1, now)
	s.save(b, env.pool)
	seedMonth(b, env.pool, now, s.groups[0].Group)
	base := "/clusters/prod/groups/" + s.groups[0].Group
	b.ResetTimer()
	for range b.N {
		var size int
		page := load(b, env.URL, []string{base + "?range=30d"}, 10, 300, nil)
		chart := load(b, env.URL, []string{base + "/history?range=30d"}, 10, 300, &size)
		b.Logf("page: p50 %s p99 %s; 30 d chart data (%d bytes): p50 %s p99 %s", pct(page, 50), pct(page, 99), size, pct(chart, 50), pct(chart, 99))
		report(b, chart)
	}
}

// benchEnv is the server with anonymous read, on loopback, and its database.
func benchEnv(b *testing.B) (env struct {
	URL  string
	pool *pgxpool.Pool
}) {
	env.pool = stacktest.DB(b)
	a, err := auth.New(b.Context(), auth.Options{Config: config.Auth{AnonymousRead: true, OIDC: config.OIDC{GroupsClaim: "groups"},
		SessionIdleTimeout: time.Hour, SessionLifetime: time.Hour}, Pool: env.pool, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	assets, err := static.New()
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(New(Deps{Logger: slog.New(slog.DiscardHandler), Assets: assets, Readiness: alwaysReady{},
		Version: "bench", Auth: a, Store: env.pool,
		Watched: []WatchedCluster{{"prod", 10 * time.Second}, {"staging", 10 * time.Second}}}))
	b.Cleanup(srv.Close)
	env.URL = srv.URL
	return env
}

// seedMonth writes a point a minute for 30 days on the group's topic and retry topic.
func seedMonth(b *testing.B, pool *pgxpool.Pool, now time.Time, group string) {
	ctx := context.Background()
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		b.Fatal(err)
	}
	keys := []storage.TopicKey{{Group: group, Topic: "topic-" + group}, {Group: group, Topic: "%RETRY%" + group}}
	ids, err := storage.TopicSeriesIDs(ctx, pool, c.ID, keys)
	if err != nil {
		b.Fatal(err)
	}
	var cy storage.Cycle
	cy.ClusterID, cy.At = c.ID, now
	for _, k := range keys {
		for m := 30 * 24 * 60; m > 0; m-- {
			lag := int64(m % 997)
			secs := float64(m % 613)
			cy.TopicPoints = append(cy.TopicPoints, storage.TopicPoint{SeriesID: ids[k], At: now.Add(-time.Duration(m) * time.Minute),
				MaxOffset: 1e6 + lag, ConsumerOffset: 1e6, Lag: lag, LagSeconds: &secs})
		}
	}
	if err := storage.SaveCycle(ctx, pool, cy); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

// load sends n GET requests over paths from c concurrent clients and returns each latency.
func load(b *testing.B, base string, paths []string, c, n int, size *int) []time.Duration {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}, Timeout: 30 * time.Second}
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, n)
		next = make(chan string)
		wg   sync.WaitGroup
		errs = make(chan error, c)
	)
	for range c {
		wg.Go(func() {
			for p := range next {
				t0 := time.Now()
				resp, err := client.Get(base + p)
				if err != nil {
					errs <- err
					return
				}
				m, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("%s: %d", p, resp.StatusCode)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				if size != nil {
					*size = int(m)
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		select {
		case next <- paths[i%len(paths)]:
		case err := <-errs:
			close(next)
			wg.Wait()
			b.Fatal(err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	slices.Sort(lat)
	return lat
}

func pct(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)*p/100, len(lat)-1)].Round(10 * time.Microsecond)
}

func report(b *testing.B, lat []time.Duration) {
	b.ReportMetric(float64(pct(lat, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(lat, 99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(lat)), "requests")
}

// reportMemory reports the process's resident memory after a collection.
func reportMemory(b *testing.B) {
	runtime.GC()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			b.ReportMetric(kb/1024, "rss-MB")
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
}
