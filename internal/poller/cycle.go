package poller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/storage"
)

// pending holds the history tracks a cycle advances; they are kept only once the cycle is
// stored, so a failed write loses no point.
type pending struct {
	queues map[storage.QueueKey]track[queueValue]
	topics map[storage.TopicKey]topicTrack
}

// PollOnce runs one cycle: read the cluster within the cycle deadline, compute, store.
// It takes no lock: Run does, for replicas.
func (p *Poller) PollOnce(ctx context.Context) Report { return p.pollOnce(ctx, p.cfg.Pool) }

// pollOnce runs one cycle and writes it through w.
func (p *Poller) pollOnce(ctx context.Context, w writer) Report {
	now := p.cfg.Now()
	rep := Report{At: now, Stale: map[string]string{}}
	defer func() {
		end := p.cfg.Now()
		rep.Duration = end.Sub(now)
		p.mu.Lock()
		p.last = rep
		p.cycles++
		if rep.Err != nil {
			p.failures++
		} else {
			p.lastOK = end
		}
		p.mu.Unlock()
	}()
	if !p.seeded {
		if err := p.seed(ctx); err != nil {
			rep.Err = err
			p.change("postgres", err.Error(), "cannot read stored state")
			return rep
		}
	}

	began := time.Now() // elapsed time, whatever the configured clock says
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CycleTimeout)
	f, err := p.fetch(cctx, now)
	cancel()
	rep.Fetch = time.Since(began)
	rep.Requests, rep.RequestTime = p.admin.take()
	cycle := storage.Cycle{ClusterID: p.cfg.ClusterID, At: now, Stale: rep.Stale, Known: p.known}
	if err != nil {
		rep.Err = err
		p.change("namesrv", err.Error(), "name servers unreachable")
		for g := range p.groups {
			rep.Stale[g] = "no name server answered: " + err.Error()
		}
		cycle.GroupDrains, _ = p.drains(nil, rep.Stale, now)
		p.store(ctx, w, cycle, pending{})
		return rep
	}
	p.change("namesrv", "", "")
	p.storeTimes = f.storeTimes
	for _, b := range f.brokers {
		bs := storage.BrokerState{Name: b.name, Addr: b.addr, Version: f.version[b.name]}
		if e := b.failure(); e != nil {
			bs.Err = e.Error()
		}
		p.change("broker "+b.name, bs.Err, "broker not answering")
		cycle.Brokers = append(cycle.Brokers, bs)
	}
	rep.Brokers = cycle.Brokers

	var calcs []*groupCalc
	for _, name := range sortedGroups(f) {
		g := f.groups[name]
		gt := p.groups[name]
		if gt == nil {
			gt = &groupTrack{}
			p.groups[name] = gt
		}
		if reason := staleReason(g, gt); reason != "" {
			rep.Stale[name] = reason
			gt.window.push(sample{At: now, Stale: true}, now, p.cfg.Health.Window)
			continue
		}
		calcs = append(calcs, p.computeGroup(f, g, gt, now))
	}
	// A known group not found this cycle is gone if every broker answered; otherwise it may
	// only be listed by a broker that did not answer, and is stale.
	down := downBrokers(f)
	for name, gt := range p.groups {
		if _, ok := f.groups[name]; ok {
			continue
		}
		if down == "" {
			cycle.Gone = append(cycle.Gone, name)
			delete(p.groups, name)
			continue
		}
		rep.Stale[name] = "not found this poll while " + down + " did not answer"
		gt.window.push(sample{At: now, Stale: true}, now, p.cfg.Health.Window)
	}

	pend, err := p.history(ctx, calcs, now, &cycle)
	if err != nil {
		rep.Err = err
		p.change("postgres", err.Error(), "cannot store progress")
		return rep
	}
	for _, c := range calcs {
		p.deadLetters(f, c, now, &cycle)
		p.judge(c, now)
		cycle.Groups = append(cycle.Groups, c.state)
		cycle.Clients = append(cycle.Clients, c.clients...)
		cycle.ClientQueues = append(cycle.ClientQueues, c.clientQueues...)
		for _, q := range c.queues {
			cycle.Queues = append(cycle.Queues, q.state)
		}
	}
	cycle.GroupDrains, cycle.TopicDrains = p.drains(calcs, rep.Stale, now)
	rep.Groups, rep.Queues = len(cycle.Groups), len(cycle.Queues)
	stored := time.Now()
	if err := p.store(ctx, w, cycle, pend); err != nil {
		rep.Err = err
	}
	rep.Store = time.Since(stored)
	return rep
}

// store writes the cycle through w and, once written, keeps the history tracks it
// advanced.
//
// The write may take up to three intervals, as long as the lock session's idle timeout: a
// first cycle over thousands of groups writes every queue, and cutting it short would not
// only lose the cycle but close the lock's session, and with it the lock, so that the next
// leader starts over with the same write.
func (p *Poller) store(ctx context.Context, w writer, cycle storage.Cycle, pend pending) error {
	sctx, cancel := context.WithTimeout(ctx, 3*p.cfg.Interval)
	defer cancel()
	if err := p.maintain(sctx, w, cycle.At); err != nil {
		p.change("postgres", err.Error(), "cannot store progress")
		return err
	}
	var more []storage.CycleStep
	if p.cfg.InCycle != nil {
		more = append(more, p.cfg.InCycle)
	}
	if err := storage.SaveCycle(sctx, w, cycle, more...); err != nil {
		p.change("postgres", err.Error(), "cannot store progress")
		return err
	}
	p.change("postgres", "", "")
	for k, t := range pend.queues {
		p.queues[k] = t
	}
	for k, t := range pend.topics {
		p.topics[k] = t
	}
	if p.dlqSeen == nil {
		p.dlqSeen = map[string]int64{}
	}
	for _, pt := range cycle.DLQPoints {
		p.dlqSeen[pt.Group] = pt.Total
	}
	return nil
}

// judge pushes the cycle's sample into the group's window and evaluates health.
func (p *Poller) judge(c *groupCalc, now time.Time) {
	gt := p.groups[c.state.Group]
	if gt.hasCommitted && gt.committed != c.sample.Committed {
		gt.lastMove = now
	}
	gt.committed, gt.hasCommitted = c.sample.Committed, true
	if !broadcasting(c.state.MessageModel) {
		c.sample.Blocked = blockedQueueOf(c, gt, p.cfg.Health.StallAfter, now)
	}
	gt.window.push(c.sample, now, p.cfg.Health.Window)
	p.scratch = gt.window.samples(p.scratch)
	status, reason := evaluate(p.cfg.Health, p.scratch, gt.lastMove, now)
	if broadcasting(c.state.MessageModel) && status == Unknown && c.state.Lag == nil {
		reason = "broadcasting: each client keeps its own offsets, and not every client reported them"
	}
	c.state.Health, c.state.HealthReason = status, reason
	if !gt.lastMove.IsZero() {
		t := gt.lastMove
		c.state.LastCommitAt = &t
	}
}

// blockedQueueOf returns the queue of a group that has messages waiting and a committed
// offset that stood still for stallAfter while another of its queues moved in that time. A
// queue's committed offset cannot pass a message its client has not finished: one message
// that hangs (or, in orderly consumption, keeps failing) holds its whole queue.
func blockedQueueOf(c *groupCalc, gt *groupTrack, stallAfter time.Duration, now time.Time) *blockedQueue {
	var (
		worst  *queueRow
		since  time.Time
		moving bool
	)
	begin := now
	if b := gt.window.begin(); !b.IsZero() {
		begin = b
	}
	for _, q := range c.queues {
		if q.retry || !q.state.Committed {
			continue
		}
		moved := begin // never seen to move: at least since the poller began watching
		if q.state.MovedAt != nil {
			moved = *q.state.MovedAt
		}
		if now.Sub(moved) < stallAfter {
			moving = moving || q.state.MovedAt != nil
			continue
		}
		if q.lag > 0 && (worst == nil || moved.Before(since)) {
			worst, since = q, moved
		}
	}
	if worst == nil || !moving {
		return nil
	}
	return &blockedQueue{Name: fmt.Sprintf("%s/%s/%d", worst.key.Topic, worst.key.Broker, worst.key.QueueID),
		Offset: worst.state.ConsumerOffset, Since: since, Orderly: c.state.Orderly != nil && *c.state.Orderly}
}

// seed loads what a poller starting, or taking the cluster over from another replica, must
// not forget: each group's model and when its offsets last moved, and where each history
// series stands, so that the first cycle writes what one poller watching all along would:
// no point again that is stored already, the end of a flat stretch the other replica saw
// but had no reason to write yet, no second per-minute point in a minute that has one.
func (p *Poller) seed(ctx context.Context) error {
	stored, err := storage.StoredGroups(ctx, p.cfg.Pool, p.cfg.ClusterID)
	if err != nil {
		return err
	}
	queues, err := storage.SeenQueues(ctx, p.cfg.Pool, p.cfg.ClusterID)
	if err != nil {
		return err
	}
	topics, err := storage.LastTopicPoints(ctx, p.cfg.Pool, p.cfg.ClusterID)
	if err != nil {
		return err
	}
	p.dlqSeen = map[string]int64{}
	p.known = storage.NewKnownQueues()
	for _, g := range stored {
		gt := &groupTrack{model: g.MessageModel, ctype: g.ConsumeType, kind: g.Kind,
			brokers: map[string]bool{}, queueMoved: map[queueRef]time.Time{}}
		if g.LastCommitAt != nil {
			gt.lastMove = *g.LastCommitAt
		}
		if g.DLQTotal != nil {
			p.dlqSeen[g.Group] = *g.DLQTotal
		}
		p.groups[g.Group] = gt
	}
	committed := map[string]int64{}
	for _, q := range queues {
		gt := p.groups[q.Group]
		if gt == nil {
			continue
		}
		key := storage.QueueKey{Group: q.Group, Topic: q.Topic, Broker: q.Broker, QueueID: q.QueueID}
		seen := point[queueValue]{At: q.PolledAt, V: queueValue{Max: q.MaxOffset, Consumer: q.ConsumerOffset}}
		tr := track[queueValue]{written: seen, seen: seen, has: true}
		if q.LastSampleAt == nil || !q.LastSampleAt.Equal(q.PolledAt) {
			// Seen unchanged since its last point: a flat stretch whose end is not written.
			tr.written = point[queueValue]{}
			if q.LastSampleAt != nil {
				tr.written.At = *q.LastSampleAt
			}
		}
		p.queues[key] = tr
		if q.SeriesID != nil {
			p.queueIDs[key] = *q.SeriesID
		}
		ref := queueRef{topic: q.Topic, broker: q.Broker, queue: int(q.QueueID)}
		if q.Committed && q.MovedAt != nil {
			gt.queueMoved[ref] = *q.MovedAt
		}
		gt.brokers[q.Broker] = true
		committed[q.Group] += q.ConsumerOffset
	}
	for name, sum := range committed {
		// Broadcasting groups sum their clients' offsets instead (broadcast.go).
		if gt := p.groups[name]; !broadcasting(gt.model) {
			gt.committed, gt.hasCommitted = sum, true
		}
	}
	for _, t := range topics {
		key := storage.TopicKey{Group: t.Group, Topic: t.Topic}
		pt := point[topicValue]{At: t.At, V: topicValue{Max: t.MaxOffset, Consumer: t.ConsumerOffset, Lag: t.Lag}}
		p.topics[key] = topicTrack{track: track[topicValue]{written: pt, seen: pt, has: true},
			minute: t.At.Truncate(time.Minute), prevAt: t.At, prevCons: t.ConsumerOffset}
		p.topicIDs[key] = t.SeriesID
	}
	p.seeded = true
	return nil
}

// maintain, once an hour, creates partitions ahead and drops partitions past retention.
// Packing history and rolling it up is the Compactor's.
func (p *Poller) maintain(ctx context.Context, db storage.DBTX, now time.Time) error {
	hour := now.Truncate(time.Hour)
	if !p.lastHourly.Before(hour) {
		return nil
	}
	if err := storage.EnsurePartitions(ctx, db, now); err != nil {
		return err
	}
	dropped, err := storage.DropExpiredPartitions(ctx, db, now, p.cfg.Retention)
	if err != nil {
		return err
	}
	if err := storage.DropOldDeadLetterPoints(ctx, db, now.Add(-p.cfg.Retention.TopicMinutes)); err != nil {
		return err
	}
	if len(dropped) > 0 {
		p.cfg.Logger.Info("dropped expired history", "partitions", dropped)
	}
	p.lastHourly = hour
	return nil
}

// staleReason says why a group cannot be read completely this cycle, or "". Only brokers
// known to serve the group count; for a group seen for the first time, every broker does.
func staleReason(g *groupData, gt *groupTrack) string {
	var parts []string
	for broker, err := range g.errs {
		if len(gt.brokers) == 0 || gt.brokers[broker] {
			parts = append(parts, err.Error())
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return fmt.Sprintf("a broker serving this group did not answer: %s", strings.Join(parts, "; "))
}

// downBrokers names the brokers that did not answer this cycle, or "" when all did.
func downBrokers(f *fetched) string {
	var names []string
	for _, b := range f.brokers {
		if b.failure() != nil {
			names = append(names, b.name)
		}
	}
	return strings.Join(names, ", ")
}

func sortedGroups(f *fetched) []string {
	names := make([]string, 0, len(f.groups))
	for n := range f.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
