package poller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// initialCached is a broker's answer to where a group would start on a queue, and when.
type initialCached struct {
	answer initialAnswer
	at     time.Time
}

// maxInitialAsks bounds the InitialOffset requests of one cycle; queues beyond it keep the
// answer of an earlier cycle or wait for the next.
const maxInitialAsks = 256

// fetchInitialOffsets asks, for every queue with messages that a group has never committed
// on (it is missing from the broker's offset table), what the broker answers a client
// asking where to start. Answers are kept for RunningInfoInterval.
func (p *Poller) fetchInitialOffsets(ctx context.Context, f *fetched) {
	now := p.cfg.Now()
	var (
		wg   sync.WaitGroup
		asks int
	)
	pools := map[string]*brokerPool{}
	for _, b := range f.brokers {
		pools[b.name] = b
	}
	for _, g := range f.groups {
		if g.conn != nil && broadcasting(g.conn.MessageModel) {
			continue
		}
		gt := p.groups[g.name]
		for broker, st := range g.stats {
			offs, ok := f.offsets[broker]
			if !ok {
				continue
			}
			for mq, o := range st.Offsets {
				if o.BrokerOffset <= 0 {
					continue
				}
				if _, committed := offs.Committed[mqadmin.GroupTopic{Group: g.name, Topic: mq.Topic}][mq.QueueID]; committed {
					continue
				}
				ref := queueRef{topic: mq.Topic, broker: broker, queue: mq.QueueID}
				if gt != nil {
					if c, ok := gt.initial[ref]; ok && now.Sub(c.at) < p.cfg.RunningInfoInterval {
						g.setInitial(ref, c.answer)
						continue
					}
				}
				if asks >= maxInitialAsks {
					continue
				}
				asks++
				b := pools[broker]
				wg.Go(func() {
					var off int64
					err := b.do(ctx, func(ctx context.Context) (err error) {
						off, err = p.admin.InitialOffset(ctx, b.addr, g.name, mq.Topic, mq.QueueID)
						return err
					})
					if err != nil && !answered(err) {
						return // no answer: unknown this cycle
					}
					g.setInitial(ref, initialAnswer{offset: off, err: err})
				})
			}
		}
	}
	wg.Wait()
}

func (g *groupData) setInitial(ref queueRef, a initialAnswer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.initial == nil {
		g.initial = map[queueRef]initialAnswer{}
	}
	g.initial[ref] = a
}

// startOf says where the first client of a group that never committed on a queue will start,
// and why, from the broker's answer to a client's first question (InitialOffset), the kind
// of consumer, and the consumeFromWhere its clients registered. start is nil when it cannot
// be known: the rule then says what it depends on.
func startOf(a initialAnswer, asked bool, kind, fromWhere string, retry bool, maxOff int64, minOff *int64) (start *int64, rule string) {
	at := func(v int64) *int64 { return &v }
	oldest := int64(0)
	if minOff != nil {
		oldest = *minOff
	}
	switch {
	case maxOff <= 0:
		return at(0), "no message yet: the first client starts at the first message written"
	case kind == KindPull && !retry:
		return nil, "a pull consumer starts wherever its application asks, and may keep its offsets to itself"
	case !asked:
		return nil, "the broker was not asked this poll where a first client would start"
	case a.err == nil && a.offset == 0:
		return at(0), "the broker answers 0, since its first message is still in memory: " +
			"any first client starts at 0, whatever it is set to do"
	case a.err == nil:
		return at(a.offset), fmt.Sprintf("committed at %s since the offsets were read", humanize.Thousands(a.offset))
	case !errors.Is(a.err, mqadmin.ErrQueryNotFound):
		return nil, "the broker did not say where a first client would start: " + a.err.Error()
	case retry:
		return at(oldest), "a retry queue is read from its oldest message"
	}
	skip := func(from int64) string {
		return fmt.Sprintf("skipping %s messages", humanize.Thousands(maxOff-from))
	}
	switch kind {
	case KindSimple:
		return at(maxOff - 1), "a 5.x simple consumer starts at the newest message (max offset − 1), " + skip(maxOff-1)
	case KindPop:
		return nil, "a pop consumer starts at the oldest or the newest message, as its client asks"
	}
	switch strings.ToUpper(fromWhere) {
	case "CONSUME_FROM_FIRST_OFFSET":
		return at(oldest), "the clients consume from the first offset: the first one starts at the oldest message kept"
	case "CONSUME_FROM_TIMESTAMP":
		return nil, "the clients consume from a timestamp they keep to themselves: the broker cannot tell which offset"
	case "":
		return nil, "no client online to say where it starts: a push client set to CONSUME_FROM_LAST_OFFSET " +
			"(the default) starts at the newest offset, one set to CONSUME_FROM_FIRST_OFFSET at the oldest"
	default: // CONSUME_FROM_LAST_OFFSET and the deprecated forms that behave like it
		return at(maxOff), "the clients consume from the last offset: the first one starts at the newest, " + skip(maxOff)
	}
}
