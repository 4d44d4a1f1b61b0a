package reset

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Rewinds beyond these read old messages from disk rather than from the page cache.
const (
	coldMessages = 1_000_000
	coldAge      = 24 * time.Hour
)

// MakePreview reads the brokers and computes what spec would do now. It changes nothing.
func MakePreview(ctx context.Context, c Cluster, spec Spec, now time.Time) (Preview, error) {
	if err := spec.Check(now); err != nil {
		return Preview{}, err
	}
	snap, err := read(ctx, c, spec.Group, spec.Topic)
	if err != nil {
		return Preview{}, err
	}
	var src snapshot
	if spec.Kind == ToGroup {
		if src, err = readSource(ctx, c, spec); err != nil {
			return Preview{}, err
		}
	}
	return compute(ctx, c, spec, snap, src, now)
}

// readSource reads the committed offsets of a ToGroup reset's source group on the topic,
// from the same brokers: the targets. They come from each master's whole offset table
// (GET_ALL_CONSUMER_OFFSET), where a queue the group never committed on has no entry: a
// 4.9 broker asked for one such queue answers 0 while its first message is stored, which
// would copy a rewind to the start. A source that has committed on no queue of the topic
// has nothing to copy.
func readSource(ctx context.Context, c Cluster, spec Spec) (snapshot, error) {
	route, err := topicRoute(ctx, c, spec.Topic)
	if err != nil {
		return snapshot{}, err
	}
	var src snapshot
	found := false
	for _, b := range route.Brokers {
		addr := b.MasterAddr()
		if addr == "" {
			return snapshot{}, errcode.Errorf(errcode.Unavailable, "Broker %s has no master registered with the name server; resets need every master of the topic.", b.BrokerName)
		}
		offs, err := c.Admin.BrokerOffsets(ctx, addr)
		if err != nil {
			return snapshot{}, brokerErr(b.BrokerName, "read the offsets of "+spec.Source, err)
		}
		committed := map[int]int64{}
		for id, off := range offs.Committed[mqadmin.GroupTopic{Group: spec.Source, Topic: spec.Topic}] {
			committed[id] = off
		}
		found = found || len(committed) > 0
		src.brokers = append(src.brokers, brokerState{name: b.BrokerName, addr: addr, committed: committed})
	}
	if !found {
		return snapshot{}, errcode.Errorf(errcode.Invalid,
			"The group %s has no committed offset on any queue of %s in cluster %s: there is nothing to copy. Choose a group that consumes %s.",
			spec.Source, spec.Topic, c.Name, spec.Topic)
	}
	return src, nil
}

// compute builds the preview of spec over a snapshot of the brokers; src holds the source
// group's offsets of a ToGroup reset.
func compute(ctx context.Context, c Cluster, spec Spec, snap, src snapshot, now time.Time) (Preview, error) {
	p := Preview{At: now.UTC()}
	all := snap.queues()
	for _, q := range spec.Queues {
		if _, _, ok := snap.queue(q); !ok {
			return Preview{}, errcode.Errorf(errcode.Invalid, "%s is not a queue of %s in cluster %s; its queues are %s.",
				q, spec.Topic, c.Name, labels(all))
		}
	}
	noCommit := 0
	var noSource []QueueRef
	for _, q := range all {
		if !spec.Chosen(q) {
			continue
		}
		ext, cur, _ := snap.queue(q)
		qp := QueuePreview{QueueRef: q, Current: cur, Min: ext.MinOffset, Max: ext.MaxOffset}
		switch spec.Kind {
		case ToEarliest:
			qp.Requested = ext.MinOffset
		case ToLatest:
			qp.Requested = ext.MaxOffset
		case ToOffsets:
			qp.Requested = spec.Offsets[q]
		case Shift:
			base := cur
			if base < 0 {
				base, noCommit = ext.MinOffset, noCommit+1
			}
			qp.Requested = base + spec.By
		case ToTime:
			b, _ := snap.broker(q.Broker)
			off, err := c.Admin.SearchOffsetByTimestamp(ctx, b.addr, spec.Topic, q.QueueID, spec.Time)
			if err != nil {
				return Preview{}, brokerErr(q.Broker, fmt.Sprintf("find the offset for the time on queue %d", q.QueueID), err)
			}
			qp.Requested = off
		case ToGroup:
			_, off, _ := src.queue(q)
			if off < 0 {
				qp.NoSource, qp.Requested = true, cur
				noSource = append(noSource, q)
			} else {
				qp.Requested = off
			}
		}
		qp.Target = min(max(qp.Requested, qp.Min), qp.Max)
		if qp.NoSource {
			qp.Target = cur // left as it is, whatever its range
		}
		qp.Clamped = qp.Target != qp.Requested
		p.Queues = append(p.Queues, qp)
		p.Totals.Queues++
		p.Totals.Reconsume += qp.Reconsume()
		p.Totals.Skip += qp.Skip()
		if qp.Moves() {
			p.Totals.Changed++
		}
		if qp.Clamped {
			p.Totals.Clamped++
		}
	}
	if len(p.Queues) == 0 {
		return Preview{}, errcode.Errorf(errcode.Invalid, "The topic %s has no queues to reset.", spec.Topic)
	}
	seen := map[string]bool{}
	for _, b := range snap.brokers {
		info := BrokerInfo{Name: b.name, Version: b.version, Online: b.online, Path: pathOf(b)}
		p.Brokers = append(p.Brokers, info)
		if b.online > 0 && p.Model == "" {
			p.Model, p.ConsumeType = b.conn.MessageModel, b.conn.ConsumeType
		}
		for _, cn := range b.conn.Connections {
			if !seen[cn.ClientID] {
				seen[cn.ClientID] = true
				p.Clients = append(p.Clients, Client{ID: cn.ClientID, Addr: cn.ClientAddr, Language: cn.Language, Version: cn.Version})
			}
		}
	}
	if !strings.EqualFold(p.Model, "BROADCASTING") {
		p.NotMoved = readPending(ctx, c.Admin, snap, spec.Group, spec.Topic)
	}
	p.Warnings = warnings(spec, p, noCommit, now)
	if spec.Kind == ToGroup {
		p.Warnings = append(p.Warnings, copyWarnings(spec, noSource)...)
	}
	return p, nil
}

// copyWarnings say where a ToGroup reset's targets come from and which queues it leaves.
func copyWarnings(spec Spec, noSource []QueueRef) []Warning {
	ws := []Warning{{Code: "copy", Text: fmt.Sprintf("The targets are the offsets %s had committed when this preview was read. "+
		"They are frozen: execution sets these numbers, whatever %s has committed since.", spec.Source, spec.Source)}}
	if len(noSource) > 0 {
		left := "they are"
		if len(noSource) == 1 {
			left = "it is"
		}
		ws = append(ws, Warning{Code: "no_source_commit", Text: fmt.Sprintf("%s never committed an offset on %s (%s): %s left as %s, not reset.",
			spec.Source, humanize.Plural(len(noSource), "queue", "queues"), labels(noSource), left, left)})
	}
	return ws
}

// warnings explains the preview: what will happen, what cannot, and what it costs.
func warnings(spec Spec, p Preview, noCommit int, now time.Time) []Warning {
	var ws []Warning
	add := func(code string, blocking bool, format string, args ...any) {
		ws = append(ws, Warning{Code: code, Blocking: blocking, Text: fmt.Sprintf(format, args...)})
	}
	if strings.EqualFold(p.Model, "BROADCASTING") {
		add("broadcasting", true, "This group consumes in broadcasting mode: each client keeps its own offsets in a local file and the brokers hold none, so a reset here would change nothing. To re-consume, stop the clients, move or delete their offset files (by default ~/.rocketmq_offsets/<client id>/%s/offsets.json) and start them with the consume-from setting you need.", spec.Group)
		return ws
	}
	if p.Totals.Clamped > 0 {
		add("clamped", false, "%d of %s %s asked to move outside their stored messages; their targets were clamped to the oldest or newest offset (marked in the table).", p.Totals.Clamped, humanize.Plural(p.Totals.Queues, "queue", "queues"), were(p.Totals.Clamped))
	}
	if noCommit > 0 {
		add("no_commit", false, "%s no committed offset; the shift counts from its oldest stored message.", humanize.Plural(noCommit, "queue has", "queues have"))
	}
	for _, b := range p.Brokers {
		switch b.Path {
		case PathServer:
			add("server_side", false, "Broker %s%s resets on the server: each queue's offset is set exactly and at once; %s", b.Name, version(b.Version), online(b.Online, "online consumers learn of it at their next pull: messages they have already pulled may still be consumed first (at most one pull batch per queue), then they continue from the new offset."))
		case PathClient:
			if missing := uncommitted(p.Queues, b.Name); len(missing) > 0 {
				add("client_path", true, "Broker %s%s hands resets to the %s, and refuses them while a queue has no committed offset (%s). Stop the group's consumers (the offsets are then written directly, exactly as previewed) or wait until every queue has been consumed from once.", b.Name, version(b.Version), onlineClients(b.Online), labels(missing))
			} else if spec.Kind == ToOffsets || spec.Kind == Shift || spec.Kind == ToGroup || !spec.AllQueues() {
				add("client_path", true, "Broker %s%s hands resets to the %s, and that path can only move every queue of the topic to a point in time, to earliest or to latest. Stop the group's consumers (the offsets are then written directly, exactly as previewed) or choose one of those kinds for all queues.", b.Name, version(b.Version), onlineClients(b.Online))
			} else {
				add("client_path", false, "Broker %s%s hands the reset to the %s, which commit the new offsets over the next 10–20 seconds; the broker computes the targets again when the reset is executed, so new messages that arrive before then count as they would then.", b.Name, version(b.Version), onlineClients(b.Online))
			}
		case PathDirect:
			add("offline", false, "No consumer of the group is connected to broker %s%s: the committed offsets are written directly, and consumers started later begin there.", b.Name, version(b.Version))
		}
	}
	if spec.Kind == ToTime {
		for _, b := range p.Brokers {
			if strings.HasPrefix(b.Version, "V4") {
				add("time_boundary", false, "Broker %s%s answers a point in time with a message next to it rather than strictly the first one stored at or after it: a message stored just before the time may be consumed again (the targets above are the broker's own answers).", b.Name, version(b.Version))
			}
		}
	}
	if strings.EqualFold(p.ConsumeType, "CONSUME_POP") || strings.EqualFold(p.ConsumeType, "ConsumePop") || p.NotMoved.Pops {
		add("pop", false, "The group consumes by pop (a 5.x simple consumer): messages already handed out stay invisible until they are acknowledged or their invisible time ends, whatever the reset; the broker then hands messages out from the new offsets and clears its pop bookkeeping for the reset queues.")
	}
	old := spec.Kind == ToTime && now.Sub(spec.Time) > coldAge
	if p.Totals.Reconsume >= coldMessages || (old && p.Totals.Reconsume > 0) {
		add("cold_read", false, "Rewinding %s messages reads old data from disk rather than from memory: expect extra load on the brokers and slower consumption until the group catches up.", humanize.Thousands(p.Totals.Reconsume))
	}
	if p.Totals.Changed == 0 {
		add("no_change", false, "No queue moves: every committed offset is already at its target.")
	}
	add("not_covered", false, "%s", notMoved(p.NotMoved, spec.Group))
	return ws
}

// onlineClients is "the 2 online clients", or "the online client" alone.
func onlineClients(n int) string {
	if n == 1 {
		return "online client"
	}
	return fmt.Sprintf("%d online clients", n)
}

// were is the verb after a count: "1 … was", "2 … were".
func were(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// uncommitted lists the queues of a broker that have no committed offset.
func uncommitted(qs []QueuePreview, broker string) []QueueRef {
	var out []QueueRef
	for _, q := range qs {
		if q.Broker == broker && q.Current < 0 {
			out = append(out, q.QueueRef)
		}
	}
	return out
}

func version(v string) string {
	if v == "" {
		return ""
	}
	return " (" + v + ")"
}

func online(n int, what string) string {
	if n == 0 {
		return "no consumer is online now."
	}
	return what
}

func labels(qs []QueueRef) string {
	var out []string
	for _, q := range qs {
		out = append(out, q.String())
	}
	return strings.Join(out, ", ")
}
