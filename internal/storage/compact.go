package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LateAfter is how old a point may be and still be written as a single row. An older one
// (the end of a flat stretch, stored when a group comes back after its brokers failed) goes
// straight into the packed rows, because its hour may be packed already.
const LateAfter = 5 * time.Minute

// compactMargin is how long after LateAfter a partition of single rows is left alone before
// it is packed: longer than any cycle's write can take.
const compactMargin = 10 * time.Minute

// Compacted says what one call of CompactHistory did.
type Compacted struct {
	Partition string // the partition worked on, "" when none was due
	Rows      int    // single rows packed
	Chunks    int    // packed rows written
	Dropped   bool   // the partition was packed whole and dropped
	Busy      bool   // another process was compacting
	More      bool   // call again: there is more to pack
}

// compactable are the tables of single rows that CompactHistory packs.
var compactable = []partitioned{queueSampleTable, topicMinuteTable, topicHourTable}

// CompactHistory packs one batch of single history rows, at most about maxRows, into packed
// rows, in one transaction: queue samples into queue_chunk, minute points into topic_chunk
// with their hourly rollups into rows of topic_hour, and a day of those into topic_day. A
// partition is packed once no cycle can write into it any more
// (LateAfter and a margin after its end); series by series, its progress kept in
// history_compaction; then dropped whole. Readers read single and packed rows together, so
// a point is never missing while its partition is being packed, nor counted twice. One
// process compacts at a time; the others are told Busy.
func CompactHistory(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, now time.Time, r Retention, maxRows int) (Compacted, error) {
	var res Compacted
	tx, err := db.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("compact history: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	var got bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, packLockKey).Scan(&got); err != nil {
		return res, fmt.Errorf("compact history: %w", err)
	}
	if !got {
		res.Busy = true
		return res, nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM history_compaction WHERE to_regclass(quote_ident(partition)) IS NULL`); err != nil {
		return res, fmt.Errorf("compact history: %w", err)
	}
	frontier := now.Add(-LateAfter - compactMargin)
	for _, t := range compactable {
		parts, err := t.partitions(ctx, tx)
		if err != nil {
			return res, err
		}
		for _, part := range parts {
			// topic_hour's yearly partitions, from before migration 0016, are no longer
			// written: they are packed whatever they hold.
			if !(t.table == topicHourTable.table && part.yearly()) && part.to.After(frontier) {
				break
			}
			res.Partition = part.name
			if err := compactBatch(ctx, tx, t, part, now, r, maxRows, &res); err != nil {
				return res, fmt.Errorf("compact %s: %w", part.name, err)
			}
			if err := tx.Commit(ctx); err != nil {
				return res, fmt.Errorf("compact %s: %w", part.name, err)
			}
			res.More = true
			return res, nil
		}
	}
	return res, tx.Commit(ctx)
}

// compactBatch packs the next series of a partition, or drops it when none is left.
func compactBatch(ctx context.Context, tx pgx.Tx, t partitioned, part partition, now time.Time, r Retention, maxRows int, res *Compacted) error {
	name := pgx.Identifier{part.name}.Sanitize()
	// Wait for a write still in flight, and keep new ones out until the batch commits.
	if _, err := tx.Exec(ctx, "LOCK TABLE "+name+" IN SHARE MODE"); err != nil {
		return err
	}
	var next int32
	err := tx.QueryRow(ctx, `SELECT next_series FROM history_compaction WHERE partition = $1`, part.name).Scan(&next)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var cols string
	switch t.table {
	case queueSampleTable.table:
		cols = "series_id, at, max_offset, consumer_offset"
	case topicMinuteTable.table:
		cols = "series_id, at, max_offset, consumer_offset, lag, lag_seconds, consume_tps"
	default:
		cols = "series_id, at, first_at, last_at, max_offset, consumer_offset, lag, lag_seconds, last_lag, last_lag_seconds, consume_tps"
	}
	query := "SELECT " + cols + " FROM " + name + " WHERE series_id >= $1 ORDER BY series_id, at LIMIT $2"
	rows, err := tx.Query(ctx, query, next, maxRows+1)
	if err != nil {
		return err
	}
	batch, err := scanBatch(rows, t)
	if err != nil {
		return err
	}
	if batch.len() == 0 {
		if _, err := tx.Exec(ctx, "DROP TABLE "+name); err != nil {
			return err
		}
		res.Dropped = true
		_, err := tx.Exec(ctx, `DELETE FROM history_compaction WHERE partition = $1`, part.name)
		return err
	}
	// A series is packed whole: the batch ends before the series the limit cut, unless that
	// is its only series, which is then read in full.
	last := batch.series(batch.len() - 1)
	if batch.len() > maxRows {
		if batch.series(0) == last {
			rows, err := tx.Query(ctx, "SELECT "+cols+" FROM "+name+" WHERE series_id = $1 ORDER BY at", last)
			if err != nil {
				return err
			}
			if batch, err = scanBatch(rows, t); err != nil {
				return err
			}
		} else {
			batch.cut(last)
			last--
		}
	}
	res.Rows = batch.len()
	switch t.table {
	case queueSampleTable.table:
		res.Chunks, err = packQueueSamples(ctx, tx, batch.samples, now.Add(-r.QueueSamples))
	case topicMinuteTable.table:
		res.Chunks, err = packTopicPoints(ctx, tx, batch.points, now.Add(-r.TopicMinutes), now.Add(-r.TopicHours), now, false)
	default:
		add := map[chunkKey][]HourPoint{}
		cutoff := now.Add(-r.TopicHours)
		for i, h := range batch.hours {
			if h.Hour.Before(cutoff) {
				continue
			}
			k := chunkKey{batch.hourIDs[i], day(h.Hour)}
			add[k] = append(add[k], h)
		}
		res.Chunks = len(add)
		// A daily partition's rows are the newest rollups (saveRollups writes every one
		// there while the partition exists); those of the yearly partitions from before
		// migration 0016 are older than what topic_day holds.
		err = packHours(ctx, tx, add, !part.yearly())
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO history_compaction (partition, next_series) VALUES ($1, $2)
		ON CONFLICT (partition) DO UPDATE SET next_series = excluded.next_series`, part.name, last+1)
	return err
}

// rowBatch is one batch of single rows of one table, sorted by series and time.
type rowBatch struct {
	samples []QueueSample
	points  []TopicPoint
	hours   []HourPoint
	hourIDs []int32
}

func (b *rowBatch) len() int { return len(b.samples) + len(b.points) + len(b.hours) }

func (b *rowBatch) series(i int) int32 {
	switch {
	case b.samples != nil:
		return b.samples[i].SeriesID
	case b.points != nil:
		return b.points[i].SeriesID
	}
	return b.hourIDs[i]
}

// cut drops the rows of series id, the last in the batch.
func (b *rowBatch) cut(id int32) {
	n := b.len()
	for n > 0 && b.series(n-1) == id {
		n--
	}
	switch {
	case b.samples != nil:
		b.samples = b.samples[:n]
	case b.points != nil:
		b.points = b.points[:n]
	default:
		b.hours, b.hourIDs = b.hours[:n], b.hourIDs[:n]
	}
}

func scanBatch(rows pgx.Rows, t partitioned) (rowBatch, error) {
	var b rowBatch
	var err error
	switch t.table {
	case queueSampleTable.table:
		var s QueueSample
		b.samples = []QueueSample{}
		_, err = pgx.ForEachRow(rows, []any{&s.SeriesID, &s.At, &s.MaxOffset, &s.ConsumerOffset}, func() error {
			b.samples = append(b.samples, s)
			return nil
		})
	case topicMinuteTable.table:
		var p TopicPoint
		b.points = []TopicPoint{}
		_, err = pgx.ForEachRow(rows, []any{&p.SeriesID, &p.At, &p.MaxOffset, &p.ConsumerOffset, &p.Lag, &p.LagSeconds, &p.ConsumeTPS}, func() error {
			b.points = append(b.points, p)
			p.LagSeconds, p.ConsumeTPS = nil, nil
			return nil
		})
	default:
		var (
			id int32
			h  HourPoint
		)
		b.hours = []HourPoint{}
		_, err = pgx.ForEachRow(rows, []any{&id, &h.Hour, &h.FirstAt, &h.LastAt, &h.MaxOffset, &h.ConsumerOffset, &h.Lag,
			&h.LagSeconds, &h.LastLag, &h.LastLagSeconds, &h.ConsumeTPS}, func() error {
			h.Hour = h.Hour.UTC()
			b.hours = append(b.hours, h)
			b.hourIDs = append(b.hourIDs, id)
			h.LagSeconds, h.LastLagSeconds, h.ConsumeTPS = nil, nil, nil
			return nil
		})
	}
	return b, err
}
