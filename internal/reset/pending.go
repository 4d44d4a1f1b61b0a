package reset

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// NotMoved counts the group's messages a reset does not move, from the brokers' own records:
// those waiting in its retry topics, and those waiting in the brokers' delay queues
// (SCHEDULE_TOPIC_XXXX, where a consumer's retries and delayed sends sit until due).
type NotMoved struct {
	// Retry is the backlog of the group's retry topic (and, for simple consumers, of its
	// pop retry topics for this topic); nil when it could not be read.
	Retry *int64 `json:"retry,omitempty"`
	// Scheduled is how many messages for this topic or the group's retry topic wait in the
	// delay queues; ScheduledScanned and ScheduledWaiting say how much of the delay queues
	// was read (all of it when equal). Nil when they could not be read.
	Scheduled        *int64 `json:"scheduled,omitempty"`
	ScheduledScanned int64  `json:"scheduled_scanned,omitempty"`
	ScheduledWaiting int64  `json:"scheduled_waiting,omitempty"`
	// Pops is true when the group consumes by pop (a 5.x simple consumer): the broker counts
	// pop checkpoints for it.
	Pops bool `json:"pops,omitempty"`
}

// scheduleTopic holds delayed messages, one queue per delay level (queue = level - 1).
const scheduleTopic = "SCHEDULE_TOPIC_XXXX"

// maxScheduledScan bounds the delay-queue messages one preview reads.
const maxScheduledScan = 5000

// readPending reads, on each broker of the snapshot, what a reset of group on topic leaves
// where it is. A broker that cannot say leaves the count unknown; it never fails a preview.
func readPending(ctx context.Context, a Admin, snap snapshot, group, topic string) NotMoved {
	var (
		p                 NotMoved
		retry, sched      int64
		retryOK, schedOK  = true, true
		scanned, waiting  int64
		retryTopics       = []string{"%RETRY%" + group, "%RETRY%" + group + "_" + topic, "%RETRY%" + group + "+" + topic}
		realTopicsCounted = map[string]bool{topic: true, "%RETRY%" + group: true}
	)
	for _, b := range snap.brokers {
		for _, rt := range retryTopics {
			st, err := a.ConsumeStats(ctx, b.addr, group, rt)
			if err != nil {
				if !errors.Is(err, mqadmin.ErrTopicNotExist) {
					retryOK = false
				}
				continue
			}
			for mq, o := range st.Offsets {
				if mq.Topic == rt {
					retry += max(o.Lag(), 0)
				}
			}
		}
		if _, err := a.BrokerStats(ctx, b.addr, mqadmin.StatGroupCkNums, mqadmin.StatsKey(topic, group)); err == nil {
			p.Pops = true
		}
		n, s, w, err := scheduledFor(ctx, a, b.addr, realTopicsCounted, maxScheduledScan-scanned)
		if err != nil {
			schedOK = false
			continue
		}
		sched, scanned, waiting = sched+n, scanned+s, waiting+w
	}
	if retryOK {
		p.Retry = &retry
	}
	if schedOK {
		p.Scheduled, p.ScheduledScanned, p.ScheduledWaiting = &sched, scanned, waiting
	}
	return p
}

// scheduledFor counts the messages waiting in one broker's delay queues whose real topic is
// one of topics, reading at most budget messages. The delay topic has a queue per level
// (queue = level - 1); the broker's runtime info gives, for each level it has delivered from,
// the offset delivered so far ("scheduleMessageOffset_<level>": "<delivered>,<max>"). A
// level not listed there has delivered nothing yet: everything in its queue waits.
func scheduledFor(ctx context.Context, a Admin, addr string, topics map[string]bool, budget int64) (count, scanned, waiting int64, err error) {
	stats, err := a.TopicStats(ctx, addr, scheduleTopic)
	if errors.Is(err, mqadmin.ErrTopicNotExist) {
		return 0, 0, 0, nil // nothing was ever delayed on this broker
	}
	if err != nil {
		return 0, 0, 0, err
	}
	info, err := a.BrokerRuntimeInfo(ctx, addr)
	if err != nil {
		return 0, 0, 0, err
	}
	for mq, ext := range stats.Offsets {
		from := ext.MinOffset
		if v, ok := info["scheduleMessageOffset_"+strconv.Itoa(mq.QueueID+1)]; ok {
			d, _, _ := strings.Cut(v, ",")
			if delivered, err := strconv.ParseInt(strings.TrimSpace(d), 10, 64); err == nil {
				from = max(from, delivered)
			}
		}
		if ext.MaxOffset <= from {
			continue
		}
		waiting += ext.MaxOffset - from
		for off := from; off < ext.MaxOffset && budget > 0; {
			res, err := a.PullMessages(ctx, addr, scheduleTopic, mq.QueueID, off, int(min(32, budget)))
			if err != nil {
				return 0, 0, 0, err
			}
			if res.Status != mqadmin.PullFound || len(res.Messages) == 0 {
				break
			}
			for _, m := range res.Messages {
				scanned++
				budget--
				if topics[m.Properties[mqadmin.PropRealTopic]] {
					count++
				}
			}
			off = max(res.NextBeginOffset, off+1)
		}
	}
	return count, scanned, waiting, nil
}

// notMoved is the preview's sentence on what the reset leaves where it is.
func notMoved(p NotMoved, group string) string {
	retry := "the messages waiting in %RETRY%" + group + " (unknown how many: a broker did not say)"
	if p.Retry != nil {
		retry = fmt.Sprintf("%s waiting in %%RETRY%%%s", humanize.Plural(int(*p.Retry), "message", "messages"), group)
	}
	sched := "the delayed messages not yet due (unknown how many: a broker did not say)"
	if p.Scheduled != nil {
		sched = fmt.Sprintf("%s not yet due in the brokers' delay queues", humanize.Plural(int(*p.Scheduled), "message", "messages"))
		if p.ScheduledScanned < p.ScheduledWaiting {
			sched = fmt.Sprintf("at least %s (read %s of the %s waiting there)", sched,
				humanize.Thousands(p.ScheduledScanned), humanize.Thousands(p.ScheduledWaiting))
		}
	}
	return fmt.Sprintf("Not moved by this reset, from the brokers' own records: %s and %s; they are delivered when due, "+
		"whatever this reset does. Messages sent with a delivery time (5.x timer) wait in the broker's timer wheel, "+
		"which does not report them per topic. Reset the retry topic with a request of its own to skip its backlog.", retry, sched)
}
