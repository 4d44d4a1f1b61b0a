package poller

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/storage"
)

// DefaultDrainWindow is how far back time to drain looks when Config.DrainWindow is zero.
const DefaultDrainWindow = 5 * time.Minute

// drainPoint is what one poll saw of a group's topic, summed over its queues.
type drainPoint struct {
	At  time.Time
	Lag int64
	Max int64 // sum of the queues' max offsets: what was written
}

// drainTrack is a group's topic over the drain window.
type drainTrack struct {
	queues int // how many queues the sums cover; a change starts the window again
	points []drainPoint
}

// drains estimates, for each group read this cycle and each of its topics, when its backlog
// will be gone, from how the lag moved over the drain window. Stale groups are unknown and
// keep their window. It returns what the cycle stores.
func (p *Poller) drains(calcs []*groupCalc, stale map[string]string, now time.Time) ([]storage.GroupDrain, []storage.TopicDrain) {
	window := p.cfg.DrainWindow
	if window <= 0 {
		window = DefaultDrainWindow
	}
	// An estimate needs a few polls: at least two intervals, and a fifth of the window.
	need := max(2*p.cfg.Interval, window/5)
	next := map[storage.TopicKey]*drainTrack{}
	var (
		groups []storage.GroupDrain
		topics []storage.TopicDrain
	)
	for _, c := range calcs {
		name := c.state.Group
		per := map[string]*drainPoint{}
		queues, unknown := map[string]int{}, map[string]bool{}
		for _, q := range c.queues {
			t := q.key.Topic
			if per[t] == nil {
				per[t] = &drainPoint{At: now}
			}
			queues[t]++
			if !q.known {
				unknown[t] = true
				continue
			}
			per[t].Lag += q.lag
			per[t].Max += q.state.MaxOffset
		}
		var ests []storage.TopicDrain
		for _, t := range sortedKeys(per) {
			key := storage.TopicKey{Group: name, Topic: t}
			d := storage.TopicDrain{Group: name, Topic: t}
			switch {
			case broadcasting(c.state.MessageModel):
				d.State, d.Reason = storage.DrainUnknown, "broadcasting: each client keeps its own offsets"
			case unknown[t] || c.state.Lag == nil:
				d.State, d.Reason = storage.DrainUnknown, "the lag of some queues is unknown"
			default:
				tr := p.drainTracks[key]
				if tr == nil || tr.queues != queues[t] {
					tr = &drainTrack{queues: queues[t]}
				}
				tr.points = trimDrain(append(tr.points, *per[t]), now, window)
				next[key] = tr
				d = estimateDrain(name, t, tr.points, need)
			}
			ests = append(ests, d)
		}
		topics = append(topics, ests...)
		groups = append(groups, storage.GroupDrain{Group: name, Drain: worstDrain(ests)})
	}
	for name := range stale {
		groups = append(groups, storage.GroupDrain{Group: name, Drain: storage.Drain{State: storage.DrainUnknown,
			Reason: "no fresh data: the brokers serving this group did not answer the last poll"}})
		for key, tr := range p.drainTracks {
			if key.Group == name {
				next[key] = tr
			}
		}
	}
	p.drainTracks = next
	return groups, topics
}

// trimDrain drops the points older than the window.
func trimDrain(pts []drainPoint, now time.Time, window time.Duration) []drainPoint {
	i := 0
	for i < len(pts)-1 && now.Sub(pts[i].At) > window {
		i++
	}
	return append(pts[:0:0], pts[i:]...)
}

// keepUpSeconds is how much of the consumers' throughput may wait while they keep up: two
// of a push client's 5 s commit intervals.
const keepUpSeconds = 10

// estimateDrain fits a line to the lag (and to what was written) over the points, by least
// squares: a push consumer commits in steps every few seconds, and a line through all the
// polls of the window is steadier than the first and last alone.
func estimateDrain(group, topic string, pts []drainPoint, need time.Duration) storage.TopicDrain {
	cur := pts[len(pts)-1]
	lag := cur.Lag
	d := storage.TopicDrain{Group: group, Topic: topic, Lag: &lag}
	span := cur.At.Sub(pts[0].At)
	if span < need || len(pts) < 2 {
		if lag == 0 {
			zero := 0.0
			d.State, d.Seconds, d.Reason = storage.DrainCaughtUp, &zero, "caught up"
			return d
		}
		d.State = storage.DrainUnknown
		d.Reason = fmt.Sprintf("measuring: %s of history so far, an estimate needs %s",
			humanize.Duration(span), humanize.Duration(need))
		return d
	}
	lagRate := slope(pts, func(p drainPoint) float64 { return float64(p.Lag) })
	produce := max(slope(pts, func(p drainPoint) float64 { return float64(p.Max) }), 0)
	consume := max(produce-lagRate, 0)
	d.LagRate, d.ProduceRate, d.ConsumeRate = &lagRate, &produce, &consume
	rates := fmt.Sprintf("consuming %s, producing %s", perSecond(consume), perSecond(produce))
	// Less than one message of change over the whole window is no change.
	still := math.Abs(lagRate)*span.Seconds() < 1
	// A backlog the consumers get through in a few seconds is what is in flight between
	// fetch and commit: the group keeps up, whatever the line's slope says.
	keepingUp := consume > 0 && float64(lag) <= max(max(produce, consume)*keepUpSeconds, 1)
	switch {
	case lag == 0:
		zero := 0.0
		d.State, d.Seconds, d.Reason = storage.DrainCaughtUp, &zero, "caught up; "+rates
	case keepingUp && (still || lagRate > 0):
		secs := float64(lag) / consume
		d.State, d.Seconds = storage.DrainDraining, &secs
		d.Reason = fmt.Sprintf("keeping up: %s waiting, about %s of consuming (%s)", humanize.Thousands(lag),
			humanize.Duration(time.Duration(secs*float64(time.Second))), rates)
	case still:
		d.State = storage.DrainFlat
		d.Reason = fmt.Sprintf("backlog of %s not shrinking: will not drain at this rate (%s)", humanize.Thousands(lag), rates)
	case lagRate > 0:
		d.State = storage.DrainGrowing
		d.Reason = fmt.Sprintf("growing by %s: will not drain (%s)", perSecond(lagRate), rates)
	default:
		secs := float64(lag) / -lagRate
		d.State, d.Seconds = storage.DrainDraining, &secs
		d.Reason = fmt.Sprintf("backlog shrinking by %s, drained in about %s (%s)", perSecond(-lagRate),
			humanize.Duration(time.Duration(secs*float64(time.Second))), rates)
	}
	return d
}

// worstDrain is a group's estimate from its topics': drained when the last of them is, and
// not at all when one of them will not drain.
func worstDrain(ts []storage.TopicDrain) storage.Drain {
	if len(ts) == 0 {
		return storage.Drain{State: storage.DrainUnknown, Reason: "no queue to read"}
	}
	rank := map[string]int{storage.DrainCaughtUp: 0, storage.DrainDraining: 1, storage.DrainFlat: 2,
		storage.DrainGrowing: 3, storage.DrainUnknown: 4}
	var (
		worst   = ts[0]
		rate    float64
		rateSet = true
	)
	for _, t := range ts {
		if t.LagRate == nil {
			rateSet = false
		} else {
			rate += *t.LagRate
		}
		if rank[t.State] > rank[worst.State] ||
			(t.State == worst.State && t.Seconds != nil && worst.Seconds != nil && *t.Seconds > *worst.Seconds) {
			worst = t
		}
	}
	d := storage.Drain{State: worst.State, Seconds: worst.Seconds, Reason: worst.Reason}
	if len(ts) > 1 && worst.State != storage.DrainCaughtUp {
		d.Reason = worst.Topic + ": " + worst.Reason
	}
	if rateSet {
		d.LagRate = &rate
	}
	return d
}

// slope is the least-squares slope of f over the points, per second.
func slope(pts []drainPoint, f func(drainPoint) float64) float64 {
	t0 := pts[0].At
	var st, sy float64
	for _, p := range pts {
		st += p.At.Sub(t0).Seconds()
		sy += f(p)
	}
	n := float64(len(pts))
	mt, my := st/n, sy/n
	var num, den float64
	for _, p := range pts {
		dt := p.At.Sub(t0).Seconds() - mt
		num += dt * (f(p) - my)
		den += dt * dt
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// perSecond formats a rate of messages: "300 msg/s", "0.4 msg/s".
func perSecond(r float64) string {
	switch {
	case r < 0.05:
		return "0 msg/s"
	case r >= 10:
		return humanize.Thousands(int64(math.Round(r))) + " msg/s"
	}
	return fmt.Sprintf("%.1f msg/s", r)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
