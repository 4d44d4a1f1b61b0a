package poller

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// A 5.x broker records every pop as a checkpoint message ("ck": which offsets of which queue
// went to which group, when, for how long) and every acknowledgement as an "ack" message,
// both written to its timer topic to be delivered to the revive service when the invisible
// time ends. Reading that topic as it grows tells which popped messages are still neither
// acknowledged nor back: the group's messages in flight, each with the time it becomes
// visible again.

// timerTopic is where a 5.x broker keeps timer messages, pop checkpoints and acks among them.
const timerTopic = "rmq_sys_wheel_timer"

// Tags and property of pop records in the timer topic (PopAckConstants).
const (
	tagCheckpoint = "ck"
	tagAck        = "ack"
	tagBatchAck   = "bAck"
	reviveTopic   = "rmq_sys_REVIVE_LOG_"
)

// wireCheckpoint is a PopCheckPoint as the broker writes it.
type wireCheckpoint struct {
	StartOffset int64   `json:"so"`
	Diffs       []int64 `json:"d"`
	Num         int     `json:"n"`
	PopTime     int64   `json:"pt"`
	Invisible   int64   `json:"it"`
	QueueID     int     `json:"q"`
	Topic       string  `json:"t"`
	Group       string  `json:"c"`
}

// wireAck is an AckMsg or a BatchAckMsg as the broker writes it.
type wireAck struct {
	AckOffset   int64   `json:"ao"`
	AckOffsets  []int64 `json:"aol"`
	StartOffset int64   `json:"so"`
	PopTime     int64   `json:"pt"`
	QueueID     int     `json:"q"`
	Topic       string  `json:"t"`
	Group       string  `json:"c"`
}

// ckKey names one checkpoint: an ack carries the same fields.
type ckKey struct {
	group, topic string
	queue        int
	start, pop   int64
}

// checkpoint is one pop whose messages are not all acknowledged yet.
type checkpoint struct {
	offsets []int64 // queue offsets handed out
	acked   map[int64]bool
	visible time.Time // when the unacknowledged ones become visible again
	broker  string
}

// open counts the checkpoint's messages not acknowledged.
func (c *checkpoint) open() int {
	n := 0
	for _, off := range c.offsets {
		if !c.acked[off] {
			n++
		}
	}
	return n
}

// popLog follows the pop records of one broker's timer topic.
type popLog struct {
	broker string
	// next is the timer topic offset to read from; started tells it was positioned.
	next    int64
	started bool
	// since is when the records read begin: pops before it are not known.
	since time.Time
	cks   map[ckKey]*checkpoint
	// acks holds acks whose checkpoint was not read (yet): kept until their pop is old.
	acks map[ckKey][]int64
	// behind tells the last read stopped before the end of the topic.
	behind bool
}

func newPopLog(broker string) *popLog {
	return &popLog{broker: broker, cks: map[ckKey]*checkpoint{}, acks: map[ckKey][]int64{}}
}

// apply folds one timer-topic message into the log. Messages that are not pop records (a
// delayed message waiting for its time) are ignored.
func (l *popLog) apply(m mqadmin.Message) {
	if !strings.HasPrefix(m.Properties[mqadmin.PropRealTopic], reviveTopic) {
		return
	}
	switch m.Tag() {
	case tagCheckpoint:
		var w wireCheckpoint
		if json.Unmarshal(m.Body, &w) != nil || w.Group == "" {
			return
		}
		k := ckKey{w.Group, w.Topic, w.QueueID, w.StartOffset, w.PopTime}
		ck := &checkpoint{acked: map[int64]bool{}, broker: l.broker,
			visible: time.UnixMilli(w.PopTime + w.Invisible)}
		for _, d := range w.Diffs {
			ck.offsets = append(ck.offsets, w.StartOffset+d)
		}
		if len(ck.offsets) == 0 {
			for i := range w.Num {
				ck.offsets = append(ck.offsets, w.StartOffset+int64(i))
			}
		}
		for _, off := range l.acks[k] {
			ck.acked[off] = true
		}
		delete(l.acks, k)
		if ck.open() > 0 {
			l.cks[k] = ck
		}
	case tagAck, tagBatchAck:
		var w wireAck
		if json.Unmarshal(m.Body, &w) != nil || w.Group == "" {
			return
		}
		offs := w.AckOffsets
		if m.Tag() == tagAck {
			offs = []int64{w.AckOffset}
		}
		k := ckKey{w.Group, w.Topic, w.QueueID, w.StartOffset, w.PopTime}
		ck, ok := l.cks[k]
		if !ok {
			l.acks[k] = append(l.acks[k], offs...)
			return
		}
		for _, off := range offs {
			ck.acked[off] = true
		}
		if ck.open() <= 0 {
			delete(l.cks, k)
		}
	}
}

// expire drops checkpoints whose messages became visible again before now: those not
// acknowledged went back to the group (through its retry topic), and are in flight no more.
func (l *popLog) expire(now time.Time) {
	for k, ck := range l.cks {
		if !ck.visible.After(now) {
			delete(l.cks, k)
		}
	}
	for k := range l.acks {
		if now.Sub(time.UnixMilli(k.pop)) > maxInvisible {
			delete(l.acks, k)
		}
	}
}

// maxInvisible is the longest invisible time the 5.x proxy allows (maxInvisibleTimeMills).
const maxInvisible = 12 * time.Hour

// inflight is one group's messages in flight on one queue.
type inflight struct {
	count int64
	// first and last are the earliest and latest times at which an in-flight message
	// becomes visible again.
	first, last time.Time
}

// inflightOf returns the group's messages in flight by queue. Retry topics count toward the
// topic they retry (%RETRY%<group>_<topic>).
func (l *popLog) inflightOf(group string) map[queueRef]inflight {
	out := map[queueRef]inflight{}
	for k, ck := range l.cks {
		if k.group != group {
			continue
		}
		ref := queueRef{topic: k.topic, broker: ck.broker, queue: k.queue}
		in := out[ref]
		in.count += int64(ck.open())
		if in.first.IsZero() || ck.visible.Before(in.first) {
			in.first = ck.visible
		}
		if ck.visible.After(in.last) {
			in.last = ck.visible
		}
		out[ref] = in
	}
	return out
}

// groups returns the groups with messages in flight, sorted.
func (l *popLog) groups() []string {
	set := map[string]bool{}
	for k := range l.cks {
		set[k.group] = true
	}
	out := make([]string, 0, len(set))
	for g := range set {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}
