package poller

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/storage"
)

// dlqCount is what the brokers hold of a group's dead-letter topic.
type dlqCount struct {
	total, kept int64 // sent there since it was created; still kept
	known       bool  // every broker that has the topic answered
}

// fetchDeadLetters reads, for each group with a dead-letter topic (%DLQ%<group>, from the
// name server's topic list), the topic's extents on every broker.
func (p *Poller) fetchDeadLetters(ctx context.Context, f *fetched) {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	f.dlq = map[string]dlqCount{}
	for group := range f.found.dlq {
		if f.groups[group] == nil {
			continue
		}
		// Under the lock: the goroutines of the groups before this one are running.
		mu.Lock()
		f.dlq[group] = dlqCount{known: true}
		mu.Unlock()
		for _, b := range f.brokers {
			wg.Go(func() {
				ts, err := p.topicStats(ctx, b, dlqPrefix+group)
				mu.Lock()
				defer mu.Unlock()
				cur := f.dlq[group]
				switch {
				case err == nil:
					for _, o := range ts.Offsets {
						cur.total += o.MaxOffset
						cur.kept += o.MaxOffset - o.MinOffset
					}
				case !errors.Is(err, mqadmin.ErrTopicNotExist):
					cur.known = false
				}
				f.dlq[group] = cur
			})
		}
	}
	wg.Wait()
}

// deadLetters fills the group's dead-letter counts and, when the total changed, a history
// point.
func (p *Poller) deadLetters(f *fetched, c *groupCalc, now time.Time, cycle *storage.Cycle) {
	d, ok := f.dlq[c.state.Group]
	switch {
	case !ok && f.found.listed:
		c.sample.DLQ = 0 // no dead-letter topic: nothing ever went there
		return
	case !ok || !d.known:
		c.sample.DLQ = -1
		return
	}
	c.state.DLQTotal, c.state.DLQKept = &d.total, &d.kept
	c.sample.DLQ = d.total
	if prev, seen := p.dlqSeen[c.state.Group]; !seen || prev != d.total {
		cycle.DLQPoints = append(cycle.DLQPoints, storage.DLQPoint{Group: c.state.Group, At: now, Total: d.total, Kept: d.kept})
	}
}
