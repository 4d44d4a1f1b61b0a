package poller

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// connMemo is a group's online clients as last asked, reused in the cycles that do not ask.
type connMemo struct {
	conn       *mqadmin.ConsumerConnection
	online     bool
	connBroker string
	at         time.Time
	// committed is the sum of the group's committed offsets when last read, asked or not.
	committed int64
}

// connections fills the group's online clients: asked of the brokers when they may have
// changed in a way that matters, taken from the last answer otherwise. Asking every group
// every cycle costs one request per group; most cycles need only a few:
//
//   - a group never asked, or whose last ask had no answer, and one found only by its
//     online clients (it is kept only while they are online);
//   - a group with clients online and messages waiting: whether they are still there
//     decides between consuming, STALL and OFFLINE;
//   - a group that moves while no client was online: who moves it (a group that stays
//     offline with messages waiting is not asked again until it moves or its turn comes);
//   - every group once per ConnectionsRefresh, spread over the cycles, which is how long a
//     change of the clients of a group that keeps up, or of one offline that stands
//     still, may take to show.
func (p *Poller) connections(ctx context.Context, f *fetched, g *groupData, now time.Time) {
	m, ok := p.conns[g.name]
	if !ok || p.mustAskConnections(f, g, m, now) {
		p.fetchConnections(ctx, f.brokers, g)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.conn, g.connKnown, g.online, g.connReused = m.conn, true, m.online, true
	for _, b := range f.brokers {
		if b.name == m.connBroker {
			g.connBroker = b
		}
	}
}

// mustAskConnections says whether the group's clients must be asked again this cycle.
func (p *Poller) mustAskConnections(f *fetched, g *groupData, m connMemo, now time.Time) bool {
	if o := f.found.origins[g.name]; o != nil && o.scan && !o.config && !o.retryTopic && !o.offsets {
		return true
	}
	if refreshDue(g.name, m.at, now, p.cycleNo, p.cfg.ConnectionsRefresh, p.cfg.Interval) {
		return true
	}
	committed, lag := progressOf(g)
	return (m.online && lag > 0) || (!m.online && committed != m.committed)
}

// refreshDue spreads the periodic asks over the cycles: each group is asked when its own
// turn in the refresh period comes, or when its last answer is older than the period.
func refreshDue(name string, at, now time.Time, cycle uint64, every, interval time.Duration) bool {
	if now.Sub(at) >= every {
		return true
	}
	slots := uint64(every / interval)
	if slots <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(name)) //nolint:errcheck // hashes never fail
	return cycle%slots == uint64(h.Sum32())%slots
}

// progressOf sums the group's committed offsets and lag over every queue it was read on.
func progressOf(g *groupData) (committed, lag int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, st := range g.stats {
		for _, o := range st.Offsets {
			committed += o.ConsumerOffset
			lag += max(o.Lag(), 0)
		}
	}
	return committed, lag
}

// rememberConnections keeps what this cycle asked of each group's clients.
func (p *Poller) rememberConnections(f *fetched, now time.Time) {
	next := make(map[string]connMemo, len(f.groups))
	for name, g := range f.groups {
		var m connMemo
		switch {
		case g.connReused:
			m = p.conns[name]
		case g.connKnown:
			m = connMemo{conn: g.conn, online: g.online, at: now}
			if g.connBroker != nil {
				m.connBroker = g.connBroker.name
			}
		default:
			continue
		}
		m.committed, _ = progressOf(g)
		next[name] = m
	}
	p.conns = next
}
