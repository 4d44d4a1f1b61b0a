package poller

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// popTopicStats is what a broker says of a group's pop consumption of one topic.
type popTopicStats struct {
	// popped tells that the broker counted pop checkpoints or acknowledgements for the
	// group and topic since it started: the group consumes by pop.
	popped bool
	// delivered and acked are the messages delivered to and acknowledged by the group in
	// the last minute; nil when the broker keeps no such count.
	delivered, acked *int64
	// redelivered is the number of messages written to the group's pop retry topics for the
	// topic: each one came back after its invisible time without an ack. nil when unknown.
	redelivered *int64
	// unanswered tells the broker did not answer whether the group pops (no answer, as
	// opposed to an answer that it keeps no such statistic).
	unanswered bool
}

// mayPop reports whether a group may consume by pop and is worth asking about: its clients
// register as pull (the 5.x proxy registers SimpleConsumers so) or pop consumers, or it was
// seen popping before.
func mayPop(g *groupData, gt *groupTrack) bool {
	if gt != nil && (gt.kind == KindSimple || gt.kind == KindPop) {
		return true
	}
	if g.conn == nil {
		return false
	}
	t := strings.ToUpper(g.conn.ConsumeType)
	return t == "CONSUME_ACTIVELY" || t == "CONSUME_POP"
}

// fetchPopStats asks, for every group that may pop, each broker for the group's pop
// statistics and the size of its pop retry topics, per subscribed topic. 4.x brokers have
// no pop: nothing is asked of them.
func (p *Poller) fetchPopStats(ctx context.Context, f *fetched) {
	var wg sync.WaitGroup
	for _, g := range f.groups {
		if !mayPop(g, p.groups[g.name]) {
			continue
		}
		topics := popTopics(f, g)
		for _, b := range f.brokers {
			if strings.HasPrefix(f.version[b.name], "V4") {
				continue
			}
			for _, topic := range topics {
				wg.Go(func() {
					st := p.popStatsOf(ctx, b, g.name, topic)
					g.mu.Lock()
					defer g.mu.Unlock()
					if g.pop == nil {
						g.pop = map[string]map[string]popTopicStats{}
					}
					if g.pop[b.name] == nil {
						g.pop[b.name] = map[string]popTopicStats{}
					}
					g.pop[b.name][topic] = st
				})
			}
		}
	}
	wg.Wait()
}

// popTopics returns the topics a group subscribes to or has offsets on, retry topics aside.
func popTopics(f *fetched, g *groupData) []string {
	set := map[string]bool{}
	if g.conn != nil {
		for t := range g.conn.Subscriptions {
			set[t] = true
		}
	}
	for _, st := range g.stats {
		for mq := range st.Offsets {
			set[mq.Topic] = true
		}
	}
	var out []string
	for t := range set {
		if !strings.HasPrefix(t, retryPrefix) && !strings.HasPrefix(t, dlqPrefix) {
			out = append(out, t)
		}
	}
	return out
}

// popStatsOf reads one broker's pop statistics of a group on a topic.
func (p *Poller) popStatsOf(ctx context.Context, b *brokerPool, group, topic string) popTopicStats {
	var st popTopicStats
	stat := func(name string) (mqadmin.BrokerStatsData, bool) {
		var d mqadmin.BrokerStatsData
		err := b.doAside(ctx, func(ctx context.Context) (err error) {
			d, err = p.admin.BrokerStats(ctx, b.addr, name, mqadmin.StatsKey(topic, group))
			return err
		})
		if err != nil && !answered(err) && name != mqadmin.StatGroupGetNums {
			st.unanswered = true
		}
		return d, err == nil
	}
	if _, ok := stat(mqadmin.StatGroupCkNums); ok {
		st.popped = true
	}
	if d, ok := stat(mqadmin.StatGroupGetNums); ok {
		st.delivered = &d.Minute.Sum
	}
	if d, ok := stat(mqadmin.StatGroupAckNums); ok {
		// Only pop consumers acknowledge: a group whose messages are acknowledged before
		// the broker writes their checkpoints (a fast consumer) has acks and no checkpoints.
		st.acked, st.popped = &d.Minute.Sum, true
	} else if st.popped {
		zero := int64(0)
		st.acked = &zero // pops counted and no ack ever
	}
	if !st.popped {
		return st
	}
	var total int64
	known := false
	for _, retry := range []string{retryPrefix + group + "_" + topic, retryPrefix + group + "+" + topic} {
		ts, err := p.topicStats(ctx, b, retry)
		switch {
		case err == nil:
			known = true
			for _, o := range ts.Offsets {
				total += o.MaxOffset
			}
		case errors.Is(err, mqadmin.ErrTopicNotExist):
			known = true // nothing came back yet
		}
	}
	if known {
		st.redelivered = &total
	}
	return st
}

// Reading the pop records of a broker's timer topic.
const (
	// popLookback is how far back a broker's pop records are read when Lagboard first needs
	// them: pops older than that with a longer invisible time are not counted in flight.
	popLookback = 30 * time.Minute
	// popReadBudget bounds the pulls of one cycle per broker (32 records each); a log
	// further behind is read on in the next cycles, its figures unknown meanwhile.
	popReadBudget = 64
)

// readPopLogs reads, on each 5.x broker where some group consumes by pop, the pop records
// added to the broker's timer topic since the last cycle, and drops what became visible
// again. A log that could not be read to its end leaves in-flight figures unknown.
func (p *Poller) readPopLogs(ctx context.Context, f *fetched) {
	popping := false
	for _, g := range f.groups {
		if pops(f, g) || (p.groups[g.name] != nil && (p.groups[g.name].kind == KindSimple || p.groups[g.name].kind == KindPop)) {
			popping = true
			break
		}
	}
	if !popping {
		return
	}
	if p.popLogs == nil {
		p.popLogs = map[string]*popLog{}
	}
	var wg sync.WaitGroup
	for _, b := range f.brokers {
		if !strings.HasPrefix(f.version[b.name], "V5") {
			continue
		}
		l := p.popLogs[b.name]
		if l == nil {
			l = newPopLog(b.name)
			p.popLogs[b.name] = l
		}
		wg.Go(func() { p.readPopLog(ctx, b, l) })
	}
	wg.Wait()
	now := p.cfg.Now()
	for _, l := range p.popLogs {
		l.expire(now)
	}
}

// readPopLog reads one broker's timer topic (queue 0: the broker writes it to one queue)
// from where it stopped, or from popLookback ago the first time.
func (p *Poller) readPopLog(ctx context.Context, b *brokerPool, l *popLog) {
	l.behind = true
	if !l.started {
		from := p.cfg.Now().Add(-popLookback)
		var off int64
		err := b.do(ctx, func(ctx context.Context) (err error) {
			off, err = p.admin.SearchOffsetByTimestamp(ctx, b.addr, timerTopic, 0, from)
			return err
		})
		if err != nil {
			return
		}
		l.next, l.started, l.since = off, true, from
	}
	for range popReadBudget {
		var res mqadmin.PullResult
		err := b.do(ctx, func(ctx context.Context) (err error) {
			res, err = p.admin.PullMessages(ctx, b.addr, timerTopic, 0, l.next, 32)
			return err
		})
		if err != nil {
			return
		}
		switch res.Status {
		case mqadmin.PullNoNew:
			l.behind = false
			return
		case mqadmin.PullOffsetMoved, mqadmin.PullRetry:
			l.next = max(res.NextBeginOffset, l.next)
			continue
		}
		for _, m := range res.Messages {
			l.apply(m)
		}
		l.next = max(res.NextBeginOffset, l.next+1)
	}
}

// inflightOf sums a simple or pop group's messages in flight over every broker's pop log,
// by queue; ok is false when some broker's log is not read to its end.
func (p *Poller) inflightOf(group string, brokers map[string]bool) (byQueue map[queueRef]inflight, since time.Time, ok bool) {
	byQueue = map[queueRef]inflight{}
	ok = true
	for name := range brokers {
		l := p.popLogs[name]
		if l == nil || !l.started || l.behind {
			ok = false
			continue
		}
		if since.IsZero() || l.since.After(since) {
			since = l.since
		}
		for ref, in := range l.inflightOf(group) {
			byQueue[ref] = in
		}
	}
	return byQueue, since, ok
}
