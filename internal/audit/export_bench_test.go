package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// benchEntries is the size of the trail the benchmark reads.
const benchEntries = 1_000_000

// BenchmarkAuditTrail1M exports a trail of a million entries, all of it and a first
// stretch of 10,000, to show that memory does not grow with the export's size; and reads
// listing pages, near the newest entry and near the oldest, to show that keyset paging
// costs the same anywhere. Setup (COPY of the million rows) takes a minute or so.
func BenchmarkAuditTrail1M(b *testing.B) {
	pool := stacktest.DB(b)
	start := time.Now()
	copyEntries(b, pool, benchEntries)
	b.Logf("copied %d entries in %s", benchEntries, time.Since(start).Round(time.Millisecond))
	if _, err := pool.Exec(b.Context(), `VACUUM ANALYZE audit_entry`); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10_000, 100_000, benchEntries} {
		for _, format := range []Format{CSV, JSONL} {
			b.Run(fmt.Sprintf("export/%s/%d", format, n), func(b *testing.B) {
				benchExport(b, pool, format, Filter{To: base.Add(time.Duration(n+1) * time.Second)}, int64(n))
			})
		}
	}
	for _, tt := range []struct {
		name string
		f    Filter
		p    Page
	}{
		{"newest", Filter{}, Page{}},
		{"oldest", Filter{}, Page{Before: 60}},
		{"action/newest", Filter{Action: "reset.approved"}, Page{}},
		{"action/oldest", Filter{Action: "reset.approved"}, Page{Before: 1000}},
		{"resource/oldest", Filter{Cluster: "prod", Group: "payments-8"}, Page{Before: 10_000}},
		{"timeline/start", Filter{}, Page{}},
	} {
		b.Run("list/"+tt.name, func(b *testing.B) {
			for b.Loop() {
				var err error
				if strings.HasPrefix(tt.name, "timeline") {
					_, err = Timeline(b.Context(), pool, "prod", "payments-8", tt.p)
				} else {
					_, err = List(b.Context(), pool, tt.f, tt.p)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchExport exports with f and reports the output's size; the peak growth over their
// level before the export of the Go heap (live and not yet collected objects) and of the
// live heap (as the last GC found it; objects allocated while a GC marks count as live, so
// this peak rises with the allocation rate); the peak growth of the resident set; and what
// the export left behind once collected.
func benchExport(b *testing.B, pool *pgxpool.Pool, format Format, f Filter, want int64) {
	runtime.GC()
	baseHeap, baseLive := heapBytes()
	resetPeakRSS()
	baseRSS := rss("VmRSS:")
	var peak, peakLive uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // owned by this benchmark: stopped and waited for below
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			h, l := heapBytes()
			peak, peakLive = max(peak, h), max(peakLive, l)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	var w countingWriter
	for b.Loop() {
		w = countingWriter{}
		out, err := Export(b.Context(), pool, f, format, &w)
		if err != nil || out.Entries != want {
			b.Fatalf("exported %d entries, want %d: %v", out.Entries, want, err)
		}
	}
	close(stop)
	<-done
	runtime.GC()
	_, after := heapBytes()
	b.ReportMetric((float64(after)-float64(baseLive))/(1<<20), "retained-MiB")
	b.SetBytes(w.n)
	b.ReportMetric(float64(w.n), "out-bytes/op")
	b.ReportMetric(float64(peak-min(peak, baseHeap))/(1<<20), "peak-heap-growth-MiB")
	b.ReportMetric(float64(peakLive-min(peakLive, baseLive))/(1<<20), "peak-live-heap-growth-MiB")
	b.ReportMetric(float64(rss("VmHWM:")-min(rss("VmHWM:"), baseRSS))/1024, "peak-rss-growth-MiB")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var heapSamples = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
var heapMu sync.Mutex

// heapBytes is the memory held by heap objects, live or not yet swept, and the live heap
// as the last GC marked it.
func heapBytes() (objects, live uint64) {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heapSamples)
	return heapSamples[0].Value.Uint64(), heapSamples[1].Value.Uint64()
}

// rss reads a field of /proc/self/status in KiB (0 where there is none).
func rss(field string) uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// resetPeakRSS makes VmHWM start again from the current resident set (Linux).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) } //nolint:errcheck // Linux only; the figure is then process-wide

// copyEntries inserts n plausible entries with COPY, one second apart from base. Their
// hashes chain (each prev_hash is the hash before) but are not hashes of the entries.
func copyEntries(b *testing.B, pool *pgxpool.Pool, n int) {
	b.Helper()
	actions := []string{"login", "access_denied", "reset.requested", "reset.approved", "reset.executed", "logout"}
	cols := []string{"seq", "id", "at", "actor_subject", "actor_issuer", "actor_email", "actor_name", "actor_groups",
		"session_hash", "source_ip", "user_agent", "action", "cluster", "group_name", "topic", "queues",
		"request_id", "reason", "parameters", "outcome", "prev_hash", "hash"}
	prev := GenesisHash
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		var id [16]byte
		binary.BigEndian.PutUint64(id[8:], uint64(i))
		id[6], id[8] = 0x40, 0x80
		sum := sha256.Sum256(id[:])
		hash := hex.EncodeToString(sum[:])
		u := i % 50
		row := []any{int64(i), id, base.Add(time.Duration(i) * time.Second), fmt.Sprintf("user-%d", u), "https://idp.example.com",
			fmt.Sprintf("user-%d@example.com", u), fmt.Sprintf("User Number %d", u), []string{"lagboard-operator", "team-payments"},
			hash[:43], "10.20.30.40", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
			actions[i%len(actions)], []string{"prod", "staging"}[i%2], fmt.Sprintf("payments-%d", i%20), "orders",
			[]string{"broker-a/0", "broker-a/1"}, fmt.Sprintf("%032x", i), "the rule at /etc/lagboard/policy.yaml:12 refused it",
			fmt.Sprintf(`{"kind":"timestamp","reset_id":"%x","timestamp":"2026-03-10T12:00:00Z"}`, sum[:16]), "success", prev, hash}
		prev = hash
		return row, nil
	})
	if _, err := pool.CopyFrom(b.Context(), pgx.Identifier{"audit_entry"}, cols, src); err != nil {
		b.Fatal(err)
	}
}
