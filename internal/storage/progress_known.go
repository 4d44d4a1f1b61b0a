package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
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
	// written are the digests of the rows of the cycle being saved, by group: what the
	// groups hold once it commits.
	written map[string]map[queueSlot]uint64
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

// forget drops every group: after a commit that failed, what Postgres holds is not known.
func (k *KnownQueues) forget() { clear(k.groups) }

// digest hashes a row of queueColumns as saveQueues writes it.
func (k *KnownQueues) digest(row []any) uint64 {
	var h maphash.Hash
	h.SetSeed(k.seed)
	var b [9]byte
	// Each value is written with its kind, so that nil, false, 0 and "" differ.
	put := func(kind byte, v int64) {
		b[0] = kind
		binary.LittleEndian.PutUint64(b[1:], uint64(v))
		h.Write(b[:]) //nolint:errcheck // never fails
	}
	for _, v := range row {
		switch v := plain(v).(type) {
		case nil:
			put(0, 0)
		case int32:
			put(1, int64(v))
		case int64:
			put(1, v)
		case bool:
			if v {
				put(2, 1)
			} else {
				put(2, 0)
			}
		case string:
			put(3, int64(len(v)))
			h.WriteString(v) //nolint:errcheck // never fails
		case time.Time:
			put(4, v.UnixMicro())
		case pgtype.Timestamptz: // none waiting
			put(4, math.MaxInt64)
		default:
			panic(fmt.Sprintf("queue row holds a %T: teach digest about it", v))
		}
	}
	return h.Sum64()
}

// plain is what a pointer in a row points to, nil for a nil pointer, v otherwise.
func plain(v any) any {
	switch p := v.(type) {
	case *int64:
		if p != nil {
			return *p
		}
	case *bool:
		if p != nil {
			return *p
		}
	case *string:
		if p != nil {
			return *p
		}
	case *time.Time:
		if p != nil {
			return *p
		}
	default:
		return v
	}
	return nil
}

// saveQueuesKnown writes the queues of c's groups, rows being the queueColumns of
// c.Queues: for groups k knows, the rows whose digest changed and the deletion of those it
// knew that are gone; the others through replaceGroupRows.
func saveQueuesKnown(ctx context.Context, tx pgx.Tx, c Cycle, k *KnownQueues, rows [][]any) error {
	k.written = make(map[string]map[queueSlot]uint64, len(c.Groups))
	for _, g := range c.Groups {
		k.written[g.Group] = map[queueSlot]uint64{}
	}
	var (
		unknown       []string
		changed, rest [][]any
	)
	for _, g := range c.Groups {
		if _, ok := k.groups[g.Group]; !ok {
			unknown = append(unknown, g.Group)
		}
	}
	for i, q := range c.Queues {
		slot, d := queueSlot{q.Topic, q.Broker, q.QueueID}, k.digest(rows[i])
		if w := k.written[q.Group]; w != nil {
			w[slot] = d
		}
		known, ok := k.groups[q.Group]
		switch {
		case !ok:
			rest = append(rest, rows[i])
		case known[slot] != d:
			changed = append(changed, rows[i])
		}
	}
	var gone struct {
		groups, topics, brokers []string
		queues                  []int32
	}
	for g, known := range k.groups {
		written, read := k.written[g]
		if !read {
			continue
		}
		for slot := range known {
			if _, ok := written[slot]; !ok {
				gone.groups, gone.topics = append(gone.groups, g), append(gone.topics, slot.topic)
				gone.brokers, gone.queues = append(gone.brokers, slot.broker), append(gone.queues, slot.queue)
			}
		}
	}
	if err := replaceGroupRows(ctx, tx, c.ClusterID, unknown, "queue_state", queueColumns, queueKey, rest); err != nil {
		return err
	}
	if err := upsertVia(ctx, tx, "queue_state", queueColumns, queueKey, changed); err != nil {
		return err
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
	for g, written := range k.written {
		k.groups[g] = written
	}
	k.written = nil
	for g := range c.Stale {
		delete(k.groups, g)
	}
	for _, g := range c.Gone {
		delete(k.groups, g)
	}
}
