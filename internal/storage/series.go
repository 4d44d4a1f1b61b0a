package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// QueueKey names one queue of a group's topic.
type QueueKey struct {
	Group   string
	Topic   string
	Broker  string
	QueueID int32
}

// TopicKey names one topic of a group.
type TopicKey struct {
	Group string
	Topic string
}

// QueueSeriesIDs returns the history series id of every key, creating the missing ones.
func QueueSeriesIDs(ctx context.Context, db DBTX, clusterID int64, keys []QueueKey) (map[QueueKey]int32, error) {
	if len(keys) == 0 {
		return map[QueueKey]int32{}, nil
	}
	groups, topics, brokers, queues := make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys)), make([]int32, len(keys))
	for i, k := range keys {
		groups[i], topics[i], brokers[i], queues[i] = k.Group, k.Topic, k.Broker, k.QueueID
	}
	// Rows inserted by the CTE are not visible to the second SELECT of the same statement,
	// so the UNION returns each key once.
	rows, err := db.Query(ctx, `
		WITH input AS (
			SELECT DISTINCT * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) AS u(g, t, b, q)
		), ins AS (
			INSERT INTO queue_series (cluster_id, group_name, topic, broker_name, queue_id)
			SELECT $1, g, t, b, q FROM input
			ON CONFLICT DO NOTHING
			RETURNING id, group_name, topic, broker_name, queue_id
		)
		SELECT id, group_name, topic, broker_name, queue_id FROM ins
		UNION ALL
		SELECT s.id, s.group_name, s.topic, s.broker_name, s.queue_id
		FROM queue_series s JOIN input i
		  ON s.cluster_id = $1 AND s.group_name = i.g AND s.topic = i.t AND s.broker_name = i.b AND s.queue_id = i.q`,
		clusterID, groups, topics, brokers, queues)
	if err != nil {
		return nil, fmt.Errorf("queue series: %w", err)
	}
	out := make(map[QueueKey]int32, len(keys))
	var (
		id int32
		k  QueueKey
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &k.Group, &k.Topic, &k.Broker, &k.QueueID}, func() error {
		out[k] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue series: %w", err)
	}
	return out, nil
}

// TopicSeriesIDs returns the history series id of every key, creating the missing ones.
func TopicSeriesIDs(ctx context.Context, db DBTX, clusterID int64, keys []TopicKey) (map[TopicKey]int32, error) {
	if len(keys) == 0 {
		return map[TopicKey]int32{}, nil
	}
	groups, topics := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		groups[i], topics[i] = k.Group, k.Topic
	}
	rows, err := db.Query(ctx, `
		WITH input AS (
			SELECT DISTINCT * FROM unnest($2::text[], $3::text[]) AS u(g, t)
		), ins AS (
			INSERT INTO topic_series (cluster_id, group_name, topic)
			SELECT $1, g, t FROM input
			ON CONFLICT DO NOTHING
			RETURNING id, group_name, topic
		)
		SELECT id, group_name, topic FROM ins
		UNION ALL
		SELECT s.id, s.group_name, s.topic
		FROM topic_series s JOIN input i ON s.cluster_id = $1 AND s.group_name = i.g AND s.topic = i.t`,
		clusterID, groups, topics)
	if err != nil {
		return nil, fmt.Errorf("topic series: %w", err)
	}
	out := make(map[TopicKey]int32, len(keys))
	var (
		id int32
		k  TopicKey
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &k.Group, &k.Topic}, func() error {
		out[k] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("topic series: %w", err)
	}
	return out, nil
}
