package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

// KnownQueues remembers, per group, a digest of each queue row as the last committed cycle
// left it, so the next cycle sends Postgres only the rows that changed and the keys that
// vanished. A group it does not know is replaced in Postgres by comparing there (slower,
// always right). It belongs to one cluster's poller, the only writer of the cluster's
// queues while it holds the cluster's lock; a poller that (re)takes the cluster starts
// with an empty one. Not safe for concurrent use.
type KnownQueues struct {
	seed   maphash.Seed
	groups map[string]map[queueSlot]uint64
}

// queueSlot is a queue within a group.
type queueSlot struct {
	topic, broker string
	queue         int32
}

// NewKnownQueues returns an empty KnownQueues.
func NewKnownQueues() *KnownQueues {
	return &KnownQueues{seed: maphash.MakeSeed(), groups: map[string]map[queueSlot]uint64{}}
}

// forget drops every group: after a failed save, what Postgres holds is not known.
func (k *KnownQueues) forget() { clear(k.groups) }

// digest hashes what queue_state keeps of q.
func (k *KnownQueues) digest(q QueueState) uint64 {
	var h maphash.Hash
	h.SetSeed(k.seed)
	var b [9]byte
	i64 := func(v int64) {
		binary.LittleEndian.PutUint64(b[:8], uint64(v))
		h.Write(b[:8]) //nolint:errcheck // never fails
	}
	opt := func(set bool, v int64) {
		b[8] = 0
		if set {
			b[8] = 1
		}
		h.WriteByte(b[8]) //nolint:errcheck // never fails
		i64(v)
	}
	optInt := func(p *int64) {
		if p == nil {
			opt(false, 0)
		} else {
			opt(true, *p)
		}
	}
	optTime := func(p *time.Time) {
		if p == nil {
			opt(false, 0)
		} else {
			opt(true, p.UnixMicro())
		}
	}
	optStr := func(p *string) {
		if p == nil {
			opt(false, 0)
		} else {
			opt(true, int64(len(*p)))
			h.WriteString(*p) //nolint:errcheck // never fails
		}
	}
	flag := func(v bool) {
		if v {
			h.WriteByte(1) //nolint:errcheck // never fails
		} else {
			h.WriteByte(0) //nolint:errcheck // never fails
		}
	}
	optInt(q.MinOffset)
	i64(q.MaxOffset)
	i64(q.ConsumerOffset)
	optInt(q.PullOffset)
	optTime(q.LastTimestamp)
	switch since := q.lagSince().(type) {
	case time.Time:
		opt(true, since.UnixMicro())
	case nil:
		opt(false, 0)
	default: // none waiting
		opt(true, math.MaxInt64)
	}
	optStr(q.OwnerClient)
	flag(q.Stale)
	flag(q.Committed)
	optInt(q.StartOffset)
	optStr(q.StartRule)
	if q.Locked == nil {
		opt(false, 0)
	} else {
		flag(*q.Locked)
	}
	optTime(q.MovedAt)
	optInt(q.Inflight)
	optTime(q.InflightVisibleAt)
	return h.Sum64()
}

// saveQueuesKnown writes the queues of c's groups: for groups k knows, the rows whose
// digest changed and the deletion of those it knew that are gone; the others through
// replaceGroupRows.
func saveQueuesKnown(ctx context.Context, tx pgx.Tx, c Cycle, k *KnownQueues, rows [][]any) error {
	var unknown []string
	isUnknown := map[string]bool{}
	for _, g := range c.Groups {
		if _, ok := k.groups[g.Group]; !ok {
			unknown = append(unknown, g.Group)
			isUnknown[g.Group] = true
		}
	}
	var (
		changed, rest [][]any
		seen          = map[string]map[queueSlot]bool{}
	)
	for i, q := range c.Queues {
		if isUnknown[q.Group] {
			rest = append(rest, rows[i])
			continue
		}
		slot := queueSlot{q.Topic, q.Broker, q.QueueID}
		if seen[q.Group] == nil {
			seen[q.Group] = map[queueSlot]bool{}
		}
		seen[q.Group][slot] = true
		if d, ok := k.groups[q.Group][slot]; !ok || d != k.digest(q) {
			changed = append(changed, rows[i])
		}
	}
	var gone struct {
		groups, topics, brokers []string
		queues                  []int32
	}
	for _, g := range c.Groups {
		if isUnknown[g.Group] {
			continue
		}
		for slot := range k.groups[g.Group] {
			if !seen[g.Group][slot] {
				gone.groups, gone.topics = append(gone.groups, g.Group), append(gone.topics, slot.topic)
				gone.brokers, gone.queues = append(gone.brokers, slot.broker), append(gone.queues, slot.queue)
			}
		}
	}
	if err := replaceGroupRows(ctx, tx, c.ClusterID, unknown, "queue_state", queueColumns, queueKey, rest); err != nil {
		return err
	}
	if len(changed) > 0 {
		if err := upsertVia(ctx, tx, "queue_state", queueColumns, queueKey, changed); err != nil {
			return err
		}
	}
	if len(gone.groups) > 0 {
		if _, err := tx.Exec(ctx, `
			DELETE FROM queue_state q USING unnest($2::text[], $3::text[], $4::text[], $5::int[]) AS g(group_name, topic, broker_name, queue_id)
			WHERE q.cluster_id = $1 AND q.group_name = g.group_name AND q.topic = g.topic
			  AND q.broker_name = g.broker_name AND q.queue_id = g.queue_id`,
			c.ClusterID, gone.groups, gone.topics, gone.brokers, gone.queues); err != nil {
			return fmt.Errorf("vanished queues: %w", err)
		}
	}
	return nil
}

// committed records what a committed cycle left in Postgres: the groups read, as written;
// stale groups (their rows marked stale there) and groups gone are forgotten.
func (k *KnownQueues) committed(c Cycle) {
	for _, g := range c.Groups {
		k.groups[g.Group] = map[queueSlot]uint64{}
	}
	for _, q := range c.Queues {
		if m := k.groups[q.Group]; m != nil {
			m[queueSlot{q.Topic, q.Broker, q.QueueID}] = k.digest(q)
		}
	}
	for g := range c.Stale {
		delete(k.groups, g)
	}
	for _, g := range c.Gone {
		delete(k.groups, g)
	}
}
