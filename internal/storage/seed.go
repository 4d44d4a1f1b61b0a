package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// A poller that starts, or takes a cluster over from another replica, picks up from what
// is stored rather than from nothing, so that history goes on as if one poller had watched
// all along: no point written twice, none missing, no fake jump.

// SeenQueue is a queue as the last poll of it saw it, and when its history was last written.
type SeenQueue struct {
	Group          string     `db:"group_name"`
	Topic          string     `db:"topic"`
	Broker         string     `db:"broker_name"`
	QueueID        int32      `db:"queue_id"`
	PolledAt       time.Time  `db:"polled_at"`
	MaxOffset      int64      `db:"max_offset"`
	ConsumerOffset int64      `db:"consumer_offset"`
	Committed      bool       `db:"committed"`
	MovedAt        *time.Time `db:"moved_at"`
	// SeriesID is the queue's history series, nil when it has none; LastSampleAt is the
	// time of its newest history point, nil when none is kept.
	SeriesID     *int32     `db:"series_id"`
	LastSampleAt *time.Time `db:"last_sample_at"`
}

// SeenQueues returns every stored queue of a cluster's groups.
func SeenQueues(ctx context.Context, db DBTX, clusterID int64) ([]SeenQueue, error) {
	rows, err := db.Query(ctx, `
		SELECT q.group_name, q.topic, q.broker_name, q.queue_id, g.polled_at, q.max_offset, q.consumer_offset,
		       q.committed, q.moved_at, s.id AS series_id, last.at AS last_sample_at
		FROM queue_state q JOIN group_state g USING (cluster_id, group_name)
		LEFT JOIN queue_series s ON s.cluster_id = q.cluster_id AND s.group_name = q.group_name AND s.topic = q.topic
			AND s.broker_name = q.broker_name AND s.queue_id = q.queue_id
		LEFT JOIN LATERAL (SELECT at FROM queue_sample WHERE series_id = s.id ORDER BY at DESC LIMIT 1) last ON true
		WHERE q.cluster_id = $1`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("seen queues: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[SeenQueue])
	if err != nil {
		return nil, fmt.Errorf("seen queues: %w", err)
	}
	return out, nil
}

// LastTopicPoint is the newest per-minute point of a group's topic.
type LastTopicPoint struct {
	Group          string    `db:"group_name"`
	Topic          string    `db:"topic"`
	SeriesID       int32     `db:"series_id"`
	At             time.Time `db:"at"`
	MaxOffset      int64     `db:"max_offset"`
	ConsumerOffset int64     `db:"consumer_offset"`
	Lag            int64     `db:"lag"`
}

// LastTopicPoints returns the newest per-minute point of every topic of a cluster's groups
// that still has one.
func LastTopicPoints(ctx context.Context, db DBTX, clusterID int64) ([]LastTopicPoint, error) {
	rows, err := db.Query(ctx, `
		SELECT s.group_name, s.topic, s.id AS series_id, m.at, m.max_offset, m.consumer_offset, m.lag
		FROM topic_series s
		JOIN group_state g ON g.cluster_id = s.cluster_id AND g.group_name = s.group_name
		CROSS JOIN LATERAL (
			SELECT at, max_offset, consumer_offset, lag FROM topic_minute WHERE series_id = s.id ORDER BY at DESC LIMIT 1
		) m
		WHERE s.cluster_id = $1`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("last topic points: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[LastTopicPoint])
	if err != nil {
		return nil, fmt.Errorf("last topic points: %w", err)
	}
	return out, nil
}
