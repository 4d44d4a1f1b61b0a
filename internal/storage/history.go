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
// offset passed the offset, in one statement. The caller interpolates.
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
		SELECT u.series_id, u.off, b.at, b.max_offset, a.at, a.max_offset
		FROM unnest($1::int[], $2::bigint[]) AS u(series_id, off)
		LEFT JOIN LATERAL (
			SELECT at, max_offset FROM queue_sample s
			WHERE s.series_id = u.series_id AND s.max_offset > u.off
			ORDER BY at LIMIT 1) a ON true
		LEFT JOIN LATERAL (
			SELECT at, max_offset FROM queue_sample s
			WHERE s.series_id = u.series_id AND s.max_offset <= u.off
			ORDER BY at DESC LIMIT 1) b ON true`, ids, offs)
	if err != nil {
		return nil, fmt.Errorf("write time brackets: %w", err)
	}
	var (
		q      OffsetQuery
		bAt    *time.Time
		bMax   *int64
		aAt    *time.Time
		aMax   *int64
		result Bracket
	)
	_, err = pgx.ForEachRow(rows, []any{&q.SeriesID, &q.Offset, &bAt, &bMax, &aAt, &aMax}, func() error {
		result = Bracket{Before: bAt, After: aAt}
		if bMax != nil {
			result.BeforeMax = *bMax
		}
		if aMax != nil {
			result.AfterMax = *aMax
		}
		out[q] = result
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("write time brackets: %w", err)
	}
	return out, nil
}

// RollupHours aggregates complete hours of minute points into topic_hour, one row per
// hour, group and topic (migrations/0011_history_truth.sql): when the hour's first and last
// points were taken, the offsets, lag and lag in time at the last one, the highest lag and
// lag in time within the hour, and the mean consume rate. A row is keyed by the start of its
// hour but is never a value at that moment: history reads it at first_at and last_at. Hours
// already rolled up are left as they are, so it can run as often as wanted.
func RollupHours(ctx context.Context, db DBTX, from, to time.Time) (int64, error) {
	tag, err := db.Exec(ctx, `
		INSERT INTO topic_hour (series_id, at, first_at, last_at, max_offset, consumer_offset,
			lag, lag_seconds, last_lag, last_lag_seconds, consume_tps)
		SELECT series_id, date_trunc('hour', at, 'UTC'), min(at), max(at),
		       (array_agg(max_offset ORDER BY at DESC))[1],
		       (array_agg(consumer_offset ORDER BY at DESC))[1],
		       max(lag), max(lag_seconds),
		       (array_agg(lag ORDER BY at DESC))[1],
		       (array_agg(lag_seconds ORDER BY at DESC))[1],
		       avg(consume_tps)
		FROM topic_minute
		WHERE at >= date_trunc('hour', $1::timestamptz, 'UTC') AND at < date_trunc('hour', $2::timestamptz, 'UTC')
		GROUP BY series_id, date_trunc('hour', at, 'UTC')
		ON CONFLICT DO NOTHING`, from, to)
	if err != nil {
		return 0, fmt.Errorf("roll up hours: %w", err)
	}
	return tag.RowsAffected(), nil
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
