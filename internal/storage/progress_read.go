package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const groupStateColumns = `group_name, message_model, consume_type, clients, topics, lag, retry_lag, inflight,
	lag_seconds, lag_time_source, consume_tps, health, health_reason, last_commit_at, polled_at, stale_since, stale_reason,
	kind, kind_inferred, orderly, expired, past_end, never_committed, redelivered, delivered_per_min, acked_per_min,
	inflight_since, inflight_visible_at, lag_source, dlq_total, dlq_kept`

// GroupStates returns every stored group of a cluster, by name.
func GroupStates(ctx context.Context, db DBTX, clusterID int64) ([]GroupState, error) {
	rows, err := db.Query(ctx, `SELECT `+groupStateColumns+` FROM group_state WHERE cluster_id = $1 ORDER BY group_name`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("group states: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[GroupState])
}

// GroupStateOf returns one group's stored state; pgx.ErrNoRows when there is none.
func GroupStateOf(ctx context.Context, db DBTX, clusterID int64, group string) (GroupState, error) {
	rows, err := db.Query(ctx, `SELECT `+groupStateColumns+` FROM group_state WHERE cluster_id = $1 AND group_name = $2`, clusterID, group)
	if err != nil {
		return GroupState{}, fmt.Errorf("group state %s: %w", group, err)
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[GroupState])
}

// queueLagSeconds is a queue's lag in time at its group's last poll, from queue_state q
// joined with group_state g: 0 when nothing waits, NULL when unknown, never negative.
const queueLagSeconds = `CASE WHEN q.lag_since = 'infinity' THEN 0
	WHEN q.lag_since IS NOT NULL THEN greatest(extract(epoch FROM g.polled_at - q.lag_since), 0)::double precision END`

// QueueStates returns a group's stored queues, by topic, broker and queue.
func QueueStates(ctx context.Context, db DBTX, clusterID int64, group string) ([]QueueState, error) {
	rows, err := db.Query(ctx, `
		SELECT q.group_name, q.topic, q.broker_name, q.queue_id, q.min_offset, q.max_offset, q.consumer_offset,
		       q.pull_offset, q.last_timestamp, `+queueLagSeconds+` AS lag_seconds,
		       nullif(q.lag_since, 'infinity') AS lag_since, q.owner_client, g.polled_at, q.stale, q.committed,
		       q.start_offset, q.start_rule, q.locked, q.moved_at, q.inflight, q.inflight_visible_at
		FROM queue_state q JOIN group_state g USING (cluster_id, group_name)
		WHERE q.cluster_id = $1 AND q.group_name = $2
		ORDER BY q.topic, q.broker_name, q.queue_id`, clusterID, group)
	if err != nil {
		return nil, fmt.Errorf("queue states %s: %w", group, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[QueueState])
}

// ClientStates returns a group's clients from its last poll.
func ClientStates(ctx context.Context, db DBTX, clusterID int64, group string) ([]ClientState, error) {
	rows, err := db.Query(ctx, `
		SELECT group_name, client_id, client_addr, language, version, offsets_error FROM client_state
		WHERE cluster_id = $1 AND group_name = $2 ORDER BY client_id`, clusterID, group)
	if err != nil {
		return nil, fmt.Errorf("client states %s: %w", group, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[ClientState])
}

// ClientQueueStates returns a broadcasting group's per-client offsets.
func ClientQueueStates(ctx context.Context, db DBTX, clusterID int64, group string) ([]ClientQueueState, error) {
	rows, err := db.Query(ctx, `
		SELECT group_name, client_id, topic, broker_name, queue_id, commit_offset, max_offset
		FROM client_queue_state WHERE cluster_id = $1 AND group_name = $2
		ORDER BY client_id, topic, broker_name, queue_id`, clusterID, group)
	if err != nil {
		return nil, fmt.Errorf("client queue states %s: %w", group, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[ClientQueueState])
}
