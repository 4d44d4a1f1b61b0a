package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OffsetQuery asks when a queue's message at Offset was written.
type OffsetQuery struct {
	SeriesID int32
	Offset   int64
}

// Bracket is the stored history around a message: the last sample whose max offset did not
// yet include it, and the first that did. Either may be missing.
type Bracket struct {
	Before, After       *time.Time
	BeforeMax, AfterMax int64
}

// WriteTimeBrackets finds, for each query, the stored samples between which the queue's max
// offset passed the offset, in one statement: the first sample whose max offset included the
// message, and the last before it that did not. Samples are single rows or packed in
// queue_chunk; a chunk's lowest and highest max offset tell which one chunk to open for each
// side. The caller interpolates.
func WriteTimeBrackets(ctx context.Context, db DBTX, qs []OffsetQuery) (map[OffsetQuery]Bracket, error) {
	out := make(map[OffsetQuery]Bracket, len(qs))
	if len(qs) == 0 {
		return out, nil
	}
	ids, offs := make([]int32, len(qs)), make([]int64, len(qs))
	for i, q := range qs {
		ids[i], offs[i] = q.SeriesID, q.Offset
	}
	// max_offset is the next offset to be written, so message m exists once max_offset > m.
	rows, err := db.Query(ctx, `
		SELECT u.series_id, u.off, b.at, b.max_offset, a.at, a.max_offset, ca.hour, ca.data, cb.hour, cb.data
		FROM unnest($1::int[], $2::bigint[]) AS u(series_id, off)
		LEFT JOIN LATERAL (
			SELECT at, max_offset FROM queue_sample s
			WHERE s.series_id = u.series_id AND s.max_offset > u.off
			ORDER BY at LIMIT 1) a ON true
		LEFT JOIN LATERAL (
			SELECT at, max_offset FROM queue_sample s
			WHERE s.series_id = u.series_id AND s.max_offset <= u.off
			ORDER BY at DESC LIMIT 1) b ON true
		LEFT JOIN LATERAL (
			SELECT hour, data FROM queue_chunk c
			WHERE c.series_id = u.series_id AND c.hi > u.off
			ORDER BY hour LIMIT 1) ca ON true
		LEFT JOIN LATERAL (
			SELECT hour, data FROM queue_chunk c
			WHERE c.series_id = u.series_id AND c.lo <= u.off
			ORDER BY hour DESC LIMIT 1) cb ON true`, ids, offs)
	if err != nil {
		return nil, fmt.Errorf("write time brackets: %w", err)
	}
	var (
		q            OffsetQuery
		bAt, aAt     *time.Time
		bMax, aMax   *int64
		caAt, cbAt   *time.Time
		caData, cbDa []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&q.SeriesID, &q.Offset, &bAt, &bMax, &aAt, &aMax, &caAt, &caData, &cbAt, &cbDa}, func() error {
		var r Bracket
		if bAt != nil {
			t := *bAt
			r.Before, r.BeforeMax = &t, *bMax
		}
		if aAt != nil {
			t := *aAt
			r.After, r.AfterMax = &t, *aMax
		}
		if caAt != nil {
			pts, err := decodeQueueChunk(q.SeriesID, *caAt, caData)
			if err != nil {
				return err
			}
			for _, p := range pts {
				if p.MaxOffset > q.Offset {
					if r.After == nil || p.At.Before(*r.After) {
						t := p.At
						r.After, r.AfterMax = &t, p.MaxOffset
					}
					break
				}
			}
		}
		if cbAt != nil {
			pts, err := decodeQueueChunk(q.SeriesID, *cbAt, cbDa)
			if err != nil {
				return err
			}
			for i := len(pts) - 1; i >= 0; i-- {
				if p := pts[i]; p.MaxOffset <= q.Offset {
					if r.Before == nil || p.At.After(*r.Before) {
						t := p.At
						r.Before, r.BeforeMax = &t, p.MaxOffset
					}
					break
				}
			}
		}
		out[q] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("write time brackets: %w", err)
	}
	return out, nil
}

// RollupHours rolls the complete hours of minute points in [from, to) up into the hourly
// trend (topic_day), one point per hour, group and topic (migrations/0011_history_truth.sql):
// when the hour's first and last points were taken, the offsets, lag and lag in time at the
// last one, the highest lag and lag in time within the hour, and the mean consume rate. A
// point is keyed by the start of its hour but is never a value at that moment: history reads
// it at its first and last times. Compaction rolls each hour up as it packs it; this rolls up
// again from whatever minute points are stored, single or packed, and can run as often as
// wanted.
func RollupHours(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, from, to time.Time) (int64, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("roll up hours: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if err := lockPacks(ctx, tx); err != nil {
		return 0, err
	}
	from, to = hour(from), hour(to)
	rows, err := tx.Query(ctx, `
		SELECT DISTINCT series_id, date_trunc('hour', at, 'UTC') FROM topic_minute WHERE at >= $1 AND at < $2
		UNION
		SELECT series_id, hour FROM topic_chunk WHERE hour >= $1 AND hour < $2`, from, to)
	if err != nil {
		return 0, fmt.Errorf("roll up hours: %w", err)
	}
	var keys []chunkKey
	var k chunkKey
	if _, err := pgx.ForEachRow(rows, []any{&k.series, &k.start}, func() error {
		keys = append(keys, chunkKey{k.series, k.start.UTC()})
		return nil
	}); err != nil {
		return 0, fmt.Errorf("roll up hours: %w", err)
	}
	stored, err := readTopicChunks(ctx, tx, keys, true)
	if err != nil {
		return 0, err
	}
	add := map[chunkKey][]HourPoint{}
	for _, k := range keys {
		pts := mergeByTime(stored[k].rows, stored[k].packed, pointAt)
		if len(pts) == 0 {
			continue
		}
		d := chunkKey{k.series, day(k.start)}
		add[d] = append(add[d], rollup(k.start, pts))
	}
	if err := saveRollups(ctx, tx, add, time.Now()); err != nil {
		return 0, err
	}
	return int64(len(keys)), tx.Commit(ctx)
}

// HourlyPoints returns the hourly trend of a series from the hour holding from to the hour
// before to, oldest first.
func HourlyPoints(ctx context.Context, db DBTX, seriesID int32, from, to time.Time) ([]HourPoint, error) {
	m, err := readHours(ctx, db, []int32{seriesID}, hour(from), to)
	if err != nil {
		return nil, err
	}
	return m[seriesID], nil
}

// readHours reads the hourly points of series whose hour is in [from, to), packed in
// topic_day or, for those not packed yet, rows of topic_hour.
func readHours(ctx context.Context, db DBTX, ids []int32, from, to time.Time) (map[int32][]HourPoint, error) {
	rows, err := db.Query(ctx, `
		SELECT d.series_id, d.day, d.data, NULL::timestamptz, NULL::timestamptz, NULL::bigint, NULL::bigint, NULL::bigint,
		       NULL::double precision, NULL::bigint, NULL::double precision, NULL::double precision
		FROM topic_day d WHERE d.series_id = ANY($1) AND d.day > $2::timestamptz - interval '1 day' AND d.day < $3
		UNION ALL
		SELECT h.series_id, h.at, NULL, h.first_at, h.last_at, h.max_offset, h.consumer_offset, h.lag,
		       h.lag_seconds, h.last_lag, h.last_lag_seconds, h.consume_tps
		FROM topic_hour h WHERE h.series_id = ANY($1) AND h.at >= $2 AND h.at < $3`, ids, from, to)
	if err != nil {
		return nil, fmt.Errorf("hourly points: %w", err)
	}
	out := map[int32][]HourPoint{}
	if err := scanHours(rows, out); err != nil {
		return nil, fmt.Errorf("hourly points: %w", err)
	}
	for id, pts := range out {
		var kept []HourPoint
		for _, p := range pts {
			if !p.Hour.Before(from) && p.Hour.Before(to) {
				kept = append(kept, p)
			}
		}
		out[id] = kept
	}
	return out, nil
}

// scanHours reads rows of (series, start, packed day or NULL, the columns of a topic_hour
// row) into each series' hourly points, sorted by hour; a packed point wins over a row of
// the same hour.
func scanHours(rows pgx.Rows, out map[int32][]HourPoint) error {
	var (
		id    int32
		start time.Time
		data  []byte
		row   HourPoint
		first *time.Time
		last  *time.Time
		mx    *int64
		cons  *int64
		lag   *int64
		ll    *int64
	)
	loose := map[int32][]HourPoint{}
	_, err := pgx.ForEachRow(rows, []any{&id, &start, &data, &first, &last, &mx, &cons, &lag, &row.LagSeconds, &ll, &row.LastLagSeconds, &row.ConsumeTPS}, func() error {
		if data != nil {
			pts, err := decodeDay(id, start.UTC(), data)
			if err != nil {
				return err
			}
			out[id] = append(out[id], pts...)
			return nil
		}
		if first == nil || last == nil || mx == nil || cons == nil || lag == nil || ll == nil {
			return nil
		}
		row.Hour, row.FirstAt, row.LastAt = start.UTC(), *first, *last
		row.MaxOffset, row.ConsumerOffset, row.Lag, row.LastLag = *mx, *cons, *lag, *ll
		loose[id] = append(loose[id], row)
		row.LagSeconds, row.LastLagSeconds, row.ConsumeTPS = nil, nil, nil
		return nil
	})
	if err != nil {
		return err
	}
	for id, pts := range out {
		out[id] = sortDedup(pts, hourAt)
	}
	for id, pts := range loose {
		out[id] = mergeByTime(sortDedup(pts, hourAt), out[id], hourAt)
	}
	return nil
}

// StoredGroup is what a poller restarting needs to remember of a group.
type StoredGroup struct {
	Group        string     `db:"group_name"`
	MessageModel string     `db:"message_model"`
	ConsumeType  string     `db:"consume_type"`
	Kind         string     `db:"kind"`
	LastCommitAt *time.Time `db:"last_commit_at"`
	// DLQTotal is the dead-letter total last seen, nil without a dead-letter topic.
	DLQTotal *int64 `db:"dlq_total"`
}

// StoredGroups returns the stored groups of a cluster.
func StoredGroups(ctx context.Context, db DBTX, clusterID int64) ([]StoredGroup, error) {
	rows, err := db.Query(ctx, `
		SELECT group_name, message_model, consume_type, kind, last_commit_at, dlq_total FROM group_state WHERE cluster_id = $1`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("stored groups: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[StoredGroup])
}

// DropOldDeadLetterPoints deletes dead-letter history older than before.
func DropOldDeadLetterPoints(ctx context.Context, db DBTX, before time.Time) error {
	if _, err := db.Exec(ctx, `DELETE FROM dlq_sample WHERE at < $1`, before); err != nil {
		return fmt.Errorf("drop old dead-letter points: %w", err)
	}
	return nil
}

// DeadLetterPoint is a group's dead-letter count at a time.
type DeadLetterPoint struct {
	At    time.Time `db:"at"`
	Total int64     `db:"total"`
	Kept  int64     `db:"kept"`
}

// DeadLetterHistory returns a group's dead-letter points from since on, oldest first.
func DeadLetterHistory(ctx context.Context, db DBTX, clusterID int64, group string, since time.Time) ([]DeadLetterPoint, error) {
	rows, err := db.Query(ctx, `SELECT at, total, kept FROM dlq_sample
		WHERE cluster_id = $1 AND group_name = $2 AND at >= $3 ORDER BY at`, clusterID, group, since)
	if err != nil {
		return nil, fmt.Errorf("dead-letter history %s: %w", group, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[DeadLetterPoint])
}
