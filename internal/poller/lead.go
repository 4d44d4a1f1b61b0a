package poller

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/storage"
)

// With several replicas, each cluster is polled by the one replica whose session holds the
// cluster's advisory lock (storage.SessionLock). The lock is the fence as well: a cycle is
// written through that session, so a replica that lost the lock, because its session ended
// (it was cut off, or paused until the server timed it out), cannot write a cycle after
// another replica took over. Followers wait for the lock in Postgres and take over as soon
// as the holder's session ends: at once when it dies or stops, after lockIdleTimeout when it
// hangs.

// writer is where a cycle is written: the pool when PollOnce is called on its own, the
// session holding the cluster's lock when Run polls.
type writer interface {
	storage.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// lockName names the advisory lock of a cluster's poller. Replicas of every version must
// agree on it.
func lockName(cluster string) string { return "lagboard.poller:" + cluster }

// lockIdleTimeout is how long the server waits on a poller's lock session before ending it
// and freeing the lock. A leader uses its session at least once an interval (the check at
// each tick, the cycle's write), so three intervals is never reached by a working one.
func lockIdleTimeout(interval time.Duration) time.Duration { return 3 * interval }

// Leading reports whether this replica polls the cluster now.
func (p *Poller) Leading() bool { return p.leading.Load() }

// lead records what the latest attempt at the lock found, logs changes of role, and
// forgets what the poller knew when it stops leading. It reports whether this replica
// just became the leader.
func (p *Poller) lead(held bool, err error) bool {
	was := p.leading.Swap(held)
	if err != nil && !was {
		p.change("lock", err.Error(), "cannot take the poller lock")
	} else {
		p.change("lock", "", "")
	}
	switch {
	case held && !was:
		p.role = "leader"
		p.cfg.Logger.Info("polling the cluster: this replica holds its lock")
		return true
	case !held && was:
		p.role = ""
		p.forget()
		p.cfg.Logger.Warn("stopped polling the cluster: its lock was lost", "err", errText(err))
	case !held && err == nil && p.role != "follower":
		p.role = "follower"
		p.cfg.Logger.Info("not polling the cluster: another replica holds its lock")
	}
	return false
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// forget drops what the poller learnt between cycles. Another replica may poll the cluster
// before this one takes it again; its first cycle then starts from what is stored, as after
// a restart (seed).
func (p *Poller) forget() {
	p.seeded = false
	p.groups = map[string]*groupTrack{}
	p.queues = map[storage.QueueKey]track[queueValue]{}
	p.topics = map[storage.TopicKey]topicTrack{}
	p.queueIDs = map[storage.QueueKey]int32{}
	p.topicIDs = map[storage.TopicKey]int32{}
	p.storeTimes = nil
	p.online, p.onlineAt = nil, time.Time{}
	p.lastHourly = time.Time{}
	p.popLogs = nil
	p.dlqSeen = nil
	p.drainTracks = nil
}
