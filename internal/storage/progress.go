package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// BrokerState is what one poll learned about a broker.
type BrokerState struct {
	Name    string
	Addr    string
	Version string
	// Err is empty when the broker answered every request of the cycle.
	Err string
}

// GroupState is the latest state of a consumer group, as the groups page shows it. Nil
// pointers mean unknown: they are stored as NULL and shown as unknown, never as zero.
type GroupState struct {
	Group         string     `db:"group_name"`
	MessageModel  string     `db:"message_model"`
	ConsumeType   string     `db:"consume_type"`
	Clients       *int32     `db:"clients"`
	Topics        []string   `db:"topics"`
	Lag           *int64     `db:"lag"`
	RetryLag      *int64     `db:"retry_lag"`
	Inflight      *int64     `db:"inflight"`
	LagSeconds    *float64   `db:"lag_seconds"`
	LagTimeSource string     `db:"lag_time_source"`
	ConsumeTPS    *float64   `db:"consume_tps"`
	Health        string     `db:"health"`
	HealthReason  string     `db:"health_reason"`
	LastCommitAt  *time.Time `db:"last_commit_at"`
	PolledAt      time.Time  `db:"polled_at"`
	StaleSince    *time.Time `db:"stale_since"`
	StaleReason   *string    `db:"stale_reason"`
	// Kind is how the group consumes: push, pull, simple, pop, or "" when unknown;
	// KindInferred when no online client said so.
	Kind         string `db:"kind"`
	KindInferred bool   `db:"kind_inferred"`
	Orderly      *bool  `db:"orderly"`
	// Expired counts messages deleted by retention before the group read them.
	Expired *int64 `db:"expired"`
	// PastEnd counts queues whose committed offset is beyond their newest message;
	// NeverCommitted those with messages the group never committed on.
	PastEnd        int32 `db:"past_end"`
	NeverCommitted int32 `db:"never_committed"`
	// Redelivered, DeliveredPerMin and AckedPerMin describe pop consumption (simple and
	// pop groups): messages that came back unacknowledged, and the broker's counts of
	// messages delivered and acknowledged in the last minute.
	Redelivered     *int64 `db:"redelivered"`
	DeliveredPerMin *int64 `db:"delivered_per_min"`
	AckedPerMin     *int64 `db:"acked_per_min"`
	// InflightSince is when the pop records the in-flight count comes from begin;
	// InflightVisibleAt when the first message in flight becomes visible again.
	InflightSince     *time.Time `db:"inflight_since"`
	InflightVisibleAt *time.Time `db:"inflight_visible_at"`
	// LagSource is "broker-broadcast" when a broadcasting group's lag is the lowest offset
	// of its clients as a 5.x broker records it, "" otherwise.
	LagSource string `db:"lag_source"`
	// DLQTotal counts the messages sent to the group's dead-letter topic since it was
	// created, DLQKept those the brokers still keep; nil without such a topic.
	DLQTotal *int64 `db:"dlq_total"`
	DLQKept  *int64 `db:"dlq_kept"`
}

// QueueState is the latest state of one queue of a group's topic.
type QueueState struct {
	Group          string     `db:"group_name"`
	Topic          string     `db:"topic"`
	Broker         string     `db:"broker_name"`
	QueueID        int32      `db:"queue_id"`
	MinOffset      *int64     `db:"min_offset"`
	MaxOffset      int64      `db:"max_offset"`
	ConsumerOffset int64      `db:"consumer_offset"`
	PullOffset     *int64     `db:"pull_offset"`
	LastTimestamp  *time.Time `db:"last_timestamp"`
	// LagSeconds is the age, at PolledAt, of the oldest message the group has not
	// consumed: 0 when none waits, nil when unknown. LagSince is when that message was
	// stored (nil when none waits or unknown); it is what is kept, as it does not change
	// while the queue does not move. Without it, LagSince is taken as PolledAt - LagSeconds.
	LagSeconds  *float64   `db:"lag_seconds"`
	LagSince    *time.Time `db:"lag_since"`
	OwnerClient *string    `db:"owner_client"`
	// PolledAt is the group's: its queues are read with it, or not at all.
	PolledAt time.Time `db:"polled_at"`
	Stale    bool      `db:"stale"`
	// Committed is false when the group never committed on the queue; StartOffset and
	// StartRule then say where its first client will start (StartOffset nil: unknown).
	Committed   bool    `db:"committed"`
	StartOffset *int64  `db:"start_offset"`
	StartRule   *string `db:"start_rule"`
	// Locked is true when the owner reported holding the queue's lock (orderly groups).
	Locked *bool `db:"locked"`
	// MovedAt is when the committed offset last changed, as far as the poller saw.
	MovedAt *time.Time `db:"moved_at"`
	// Inflight counts a simple or pop group's messages handed out from the queue and not
	// acknowledged; InflightVisibleAt is when the first of them becomes visible again.
	Inflight          *int64     `db:"inflight"`
	InflightVisibleAt *time.Time `db:"inflight_visible_at"`
}

// ClientState is one online client of a group.
type ClientState struct {
	Group    string `db:"group_name"`
	ClientID string `db:"client_id"`
	Addr     string `db:"client_addr"`
	Language string `db:"language"`
	Version  string `db:"version"`
	// OffsetsError says why a broadcasting group's client could not report its offsets.
	OffsetsError *string `db:"offsets_error"`
}

// ClientQueueState is a broadcasting group's client's own offset on one queue.
type ClientQueueState struct {
	Group        string `db:"group_name"`
	ClientID     string `db:"client_id"`
	Topic        string `db:"topic"`
	Broker       string `db:"broker_name"`
	QueueID      int32  `db:"queue_id"`
	CommitOffset int64  `db:"commit_offset"`
	MaxOffset    *int64 `db:"max_offset"`
}

// QueueSample is a point of a queue's offset history.
type QueueSample struct {
	SeriesID       int32
	At             time.Time
	MaxOffset      int64
	ConsumerOffset int64
}

// TopicPoint is a point of a group's per-topic history.
type TopicPoint struct {
	SeriesID       int32
	At             time.Time
	MaxOffset      int64
	ConsumerOffset int64
	Lag            int64
	LagSeconds     *float64
	ConsumeTPS     *float64
}

// Cycle is everything one poll of a cluster writes.
type Cycle struct {
	ClusterID int64
	At        time.Time
	Brokers   []BrokerState
	// Groups were read completely: their state, queues and clients replace what is stored.
	Groups  []GroupState
	Queues  []QueueState
	Clients []ClientState
	// ClientQueues are broadcasting groups' per-client offsets.
	ClientQueues []ClientQueueState
	// Stale maps groups that could not be read to why; their stored values stay, marked stale.
	Stale map[string]string
	// Gone are groups no longer found anywhere in the cluster; their state is removed.
	Gone         []string
	QueueSamples []QueueSample
	TopicPoints  []TopicPoint
	// DLQPoints are dead-letter counts that changed this cycle.
	DLQPoints []DLQPoint
	// GroupDrains and TopicDrains are time-to-drain estimates of the groups read or stale.
	GroupDrains []GroupDrain
	TopicDrains []TopicDrain
	// Known, when set, is what the cluster's earlier cycles left in queue_state: only what
	// changed is sent. SaveCycle keeps it up to date.
	Known *KnownQueues
}

// DLQPoint is a group's dead-letter count at a time.
type DLQPoint struct {
	Group       string
	At          time.Time
	Total, Kept int64
}

// CycleStep is more work done inside a cycle's transaction, after its state is written:
// what it decides commits with the state that caused it, or not at all.
type CycleStep func(ctx context.Context, tx pgx.Tx, c Cycle) error

// SaveCycle writes a cycle in one transaction, so pages never see half a poll, then runs
// more steps in the same transaction.
func SaveCycle(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, c Cycle, more ...CycleStep) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("save cycle: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	steps := []CycleStep{
		saveBrokers, saveGroups, saveQueues, saveClients, markStale, removeGone, saveSamples, saveDrains,
	}
	steps = append(steps, more...)
	for _, step := range steps {
		if err := step(ctx, tx, c); err != nil {
			return fmt.Errorf("save cycle: %w", err) // rolled back: what is known still holds
		}
	}
	if err := tx.Commit(ctx); err != nil {
		if c.Known != nil {
			c.Known.forget()
		}
		return err
	}
	if c.Known != nil {
		c.Known.committed(c)
	}
	return nil
}

func saveBrokers(ctx context.Context, tx pgx.Tx, c Cycle) error {
	for _, b := range c.Brokers {
		var err error
		if b.Err == "" {
			_, err = tx.Exec(ctx, `
				INSERT INTO broker_state (cluster_id, broker_name, addr, version, ok_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (cluster_id, broker_name) DO UPDATE SET
					addr = excluded.addr, version = coalesce(nullif(excluded.version, ''), broker_state.version),
					ok_at = excluded.ok_at`,
				c.ClusterID, b.Name, b.Addr, b.Version, c.At)
		} else {
			_, err = tx.Exec(ctx, `
				INSERT INTO broker_state (cluster_id, broker_name, addr, error, error_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (cluster_id, broker_name) DO UPDATE SET
					addr = excluded.addr, error = excluded.error, error_at = excluded.error_at`,
				c.ClusterID, b.Name, b.Addr, b.Err, c.At)
		}
		if err != nil {
			return fmt.Errorf("broker %s: %w", b.Name, err)
		}
	}
	return nil
}

var groupColumns = []string{"cluster_id", "group_name", "message_model", "consume_type", "clients", "topics",
	"lag", "retry_lag", "inflight", "lag_seconds", "lag_time_source", "consume_tps", "health", "health_reason",
	"last_commit_at", "polled_at", "stale_since", "stale_reason", "kind", "kind_inferred", "orderly", "expired",
	"past_end", "never_committed", "redelivered", "delivered_per_min", "acked_per_min", "inflight_since",
	"inflight_visible_at", "lag_source", "dlq_total", "dlq_kept", "drain_state", "drain_seconds", "lag_rate",
	"drain_reason"}

// saveGroups writes the state of the groups read, with their time-to-drain estimates: one
// new version of each row a cycle. A group read without an estimate is "not estimated yet".
func saveGroups(ctx context.Context, tx pgx.Tx, c Cycle) error {
	drains := make(map[string]Drain, len(c.GroupDrains))
	for _, d := range c.GroupDrains {
		drains[d.Group] = d.Drain
	}
	rows := make([][]any, len(c.Groups))
	for i, g := range c.Groups {
		d, ok := drains[g.Group]
		if !ok {
			d = Drain{State: DrainUnknown, Reason: "not estimated yet"}
		}
		rows[i] = []any{c.ClusterID, g.Group, g.MessageModel, g.ConsumeType, g.Clients, g.Topics,
			g.Lag, g.RetryLag, g.Inflight, g.LagSeconds, g.LagTimeSource, g.ConsumeTPS, g.Health, g.HealthReason,
			g.LastCommitAt, g.PolledAt, nil, nil, g.Kind, g.KindInferred, g.Orderly, g.Expired,
			g.PastEnd, g.NeverCommitted, g.Redelivered, g.DeliveredPerMin, g.AckedPerMin, g.InflightSince,
			g.InflightVisibleAt, g.LagSource, g.DLQTotal, g.DLQKept, d.State, d.Seconds, d.LagRate, d.Reason}
	}
	return upsertVia(ctx, tx, "group_state", groupColumns, []string{"cluster_id", "group_name"}, rows)
}

var queueColumns = []string{"cluster_id", "group_name", "topic", "broker_name", "queue_id", "min_offset", "max_offset",
	"consumer_offset", "pull_offset", "last_timestamp", "lag_since", "owner_client", "stale",
	"committed", "start_offset", "start_rule", "locked", "moved_at", "inflight", "inflight_visible_at"}

// noneWaiting is lag_since when no message waits.
var noneWaiting = pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}

// lagSince is what a queue's lag_since column keeps.
func (q QueueState) lagSince() any {
	switch {
	case q.LagSeconds != nil && *q.LagSeconds == 0:
		return noneWaiting
	case q.LagSince != nil:
		return *q.LagSince
	case q.LagSeconds != nil:
		return q.PolledAt.Add(-time.Duration(*q.LagSeconds * float64(time.Second)))
	}
	return nil
}

// saveQueues replaces the queues of the groups read: rows that changed are written, rows
// that did not are left alone, and queues that vanished (a topic deleted or unsubscribed,
// a queue count lowered) go.
func saveQueues(ctx context.Context, tx pgx.Tx, c Cycle) error {
	rows := make([][]any, len(c.Queues))
	for i, q := range c.Queues {
		rows[i] = []any{c.ClusterID, q.Group, q.Topic, q.Broker, q.QueueID, q.MinOffset, q.MaxOffset,
			q.ConsumerOffset, q.PullOffset, q.LastTimestamp, q.lagSince(), q.OwnerClient, q.Stale,
			q.Committed, q.StartOffset, q.StartRule, q.Locked, q.MovedAt, q.Inflight, q.InflightVisibleAt}
	}
	if c.Known != nil {
		return saveQueuesKnown(ctx, tx, c, c.Known, rows)
	}
	return replaceGroupRows(ctx, tx, c.ClusterID, groupNames(c.Groups), "queue_state", queueColumns, queueKey, rows)
}

var queueKey = []string{"cluster_id", "group_name", "topic", "broker_name", "queue_id"}

func saveClients(ctx context.Context, tx pgx.Tx, c Cycle) error {
	rows := make([][]any, len(c.Clients))
	for i, cl := range c.Clients {
		rows[i] = []any{c.ClusterID, cl.Group, cl.ClientID, cl.Addr, cl.Language, cl.Version, cl.OffsetsError}
	}
	if err := replaceGroupRows(ctx, tx, c.ClusterID, groupNames(c.Groups), "client_state",
		[]string{"cluster_id", "group_name", "client_id", "client_addr", "language", "version", "offsets_error"},
		[]string{"cluster_id", "group_name", "client_id"}, rows); err != nil {
		return err
	}
	// Per-client offsets reference the group, not the client row: they are replaced on their own.
	rows = make([][]any, len(c.ClientQueues))
	for i, q := range c.ClientQueues {
		rows[i] = []any{c.ClusterID, q.Group, q.ClientID, q.Topic, q.Broker, q.QueueID, q.CommitOffset, q.MaxOffset}
	}
	return replaceGroupRows(ctx, tx, c.ClusterID, groupNames(c.Groups), "client_queue_state",
		[]string{"cluster_id", "group_name", "client_id", "topic", "broker_name", "queue_id", "commit_offset", "max_offset"},
		[]string{"cluster_id", "group_name", "client_id", "topic", "broker_name", "queue_id"}, rows)
}

func markStale(ctx context.Context, tx pgx.Tx, c Cycle) error {
	for g, reason := range c.Stale {
		if _, err := tx.Exec(ctx, `
			UPDATE group_state SET stale_since = coalesce(stale_since, $3), stale_reason = $4,
				health = 'UNKNOWN', health_reason = $4
			WHERE cluster_id = $1 AND group_name = $2`, c.ClusterID, g, c.At, reason); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE queue_state SET stale = true WHERE cluster_id = $1 AND group_name = $2`,
			c.ClusterID, g); err != nil {
			return err
		}
	}
	return nil
}

func removeGone(ctx context.Context, tx pgx.Tx, c Cycle) error {
	if len(c.Gone) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `DELETE FROM group_state WHERE cluster_id = $1 AND group_name = ANY($2)`, c.ClusterID, c.Gone)
	return err
}

// saveSamples writes the cycle's history points as single rows, and those older than
// LateAfter straight into the packed rows (compact.go). Late points are packed first: the
// lock on packed history is always taken before the tables of single rows, by this and by
// CompactHistory alike.
func saveSamples(ctx context.Context, tx pgx.Tx, c Cycle) error {
	late := c.At.Add(-LateAfter)
	samples, lateSamples := splitLate(c.QueueSamples, late, sampleAt)
	points, latePoints := splitLate(c.TopicPoints, late, pointAt)
	if len(lateSamples) > 0 || len(latePoints) > 0 {
		if err := lockPacks(ctx, tx); err != nil {
			return err
		}
		if _, err := packQueueSamples(ctx, tx, lateSamples, time.Time{}); err != nil {
			return fmt.Errorf("late queue samples: %w", err)
		}
		if _, err := packTopicPoints(ctx, tx, latePoints, time.Time{}, time.Time{}, c.At, true); err != nil {
			return fmt.Errorf("late topic points: %w", err)
		}
	}
	if len(samples) > 0 {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"queue_sample"}, []string{"series_id", "at", "max_offset", "consumer_offset"},
			pgx.CopyFromSlice(len(samples), func(i int) ([]any, error) {
				s := samples[i]
				return []any{s.SeriesID, s.At, s.MaxOffset, s.ConsumerOffset}, nil
			}))
		if err != nil {
			return fmt.Errorf("queue samples: %w", err)
		}
	}
	if len(c.DLQPoints) > 0 {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"dlq_sample"}, []string{"cluster_id", "group_name", "at", "total", "kept"},
			pgx.CopyFromSlice(len(c.DLQPoints), func(i int) ([]any, error) {
				p := c.DLQPoints[i]
				return []any{c.ClusterID, p.Group, p.At, p.Total, p.Kept}, nil
			}))
		if err != nil {
			return fmt.Errorf("dead-letter points: %w", err)
		}
	}
	if len(points) > 0 {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"topic_minute"},
			[]string{"series_id", "at", "max_offset", "consumer_offset", "lag", "lag_seconds", "consume_tps"},
			pgx.CopyFromSlice(len(points), func(i int) ([]any, error) {
				p := points[i]
				return []any{p.SeriesID, p.At, p.MaxOffset, p.ConsumerOffset, p.Lag, p.LagSeconds, p.ConsumeTPS}, nil
			}))
		if err != nil {
			return fmt.Errorf("topic points: %w", err)
		}
	}
	return nil
}

// splitLate returns the points at or after late, and those before it.
func splitLate[P any](pts []P, late time.Time, at func(P) time.Time) (fresh, old []P) {
	for i, p := range pts {
		if at(p).Before(late) {
			if old == nil {
				fresh = append(fresh, pts[:i]...)
			}
			old = append(old, p)
		} else if old != nil {
			fresh = append(fresh, p)
		}
	}
	if old == nil {
		return pts, nil
	}
	return fresh, old
}

// upsertVia copies rows into a temporary table and merges them into table, which is far
// faster than a statement per row for thousands of rows.
func upsertVia(ctx context.Context, tx pgx.Tx, table string, cols, key []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	tmp, err := copyToTemp(ctx, tx, "tmp_"+table, table, cols, rows)
	if err != nil {
		return err
	}
	var set []string
	for _, col := range cols {
		if !slices.Contains(key, col) {
			set = append(set, col+" = excluded."+col)
		}
	}
	list := strings.Join(cols, ", ")
	sql := fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT (%s) DO UPDATE SET %s`,
		table, list, list, tmp, strings.Join(key, ", "), strings.Join(set, ", "))
	if _, err := tx.Exec(ctx, sql); err != nil {
		return fmt.Errorf("merge %s: %w", table, err)
	}
	return nil
}

// replaceGroupRows makes table's rows of the groups the given rows: rows that changed are
// updated, rows equal to what is stored are left alone (no new version, nothing for the
// write-ahead log; an upsert would still lock each), new rows are inserted, and rows of
// those groups that are not given go. key must start with cluster_id and group_name. The
// cluster's poller is its only writer (it holds the cluster's lock).
func replaceGroupRows(ctx context.Context, tx pgx.Tx, cluster int64, groups []string, table string, cols, key []string, rows [][]any) error {
	if len(groups) == 0 {
		return nil
	}
	del := fmt.Sprintf(`DELETE FROM %s x WHERE x.cluster_id = $1 AND x.group_name = ANY($2)`, table)
	if len(rows) > 0 {
		tmp, err := copyToTemp(ctx, tx, "tmp_replace_"+table, table, cols, rows)
		if err != nil {
			return err
		}
		// Statistics, so the joins below are planned on the real row count.
		if _, err := tx.Exec(ctx, "ANALYZE "+tmp); err != nil {
			return fmt.Errorf("analyze %s: %w", tmp, err)
		}
		var match, set, stored, given []string
		for _, col := range cols {
			if slices.Contains(key, col) {
				match = append(match, "t."+col+" = x."+col)
				continue
			}
			set = append(set, col+" = t."+col)
			stored, given = append(stored, "x."+col), append(given, "t."+col)
		}
		same := strings.Join(match, " AND ")
		list := strings.Join(cols, ", ")
		for _, sql := range []string{
			fmt.Sprintf(`UPDATE %s x SET %s FROM %s t WHERE %s AND (%s) IS DISTINCT FROM (%s)`,
				table, strings.Join(set, ", "), tmp, same, strings.Join(stored, ", "), strings.Join(given, ", ")),
			fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s t WHERE NOT EXISTS (SELECT 1 FROM %s x WHERE %s)`,
				table, list, list, tmp, table, same),
		} {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("replace %s: %w", table, err)
			}
		}
		del += fmt.Sprintf(` AND NOT EXISTS (SELECT 1 FROM %s t WHERE %s)`, tmp, same)
	}
	if _, err := tx.Exec(ctx, del, cluster, groups); err != nil {
		return fmt.Errorf("replace %s: %w", table, err)
	}
	return nil
}

// copyToTemp copies rows into a new temporary table tmp shaped like table, dropped at
// commit, and returns its name. Each caller in a transaction names its own.
func copyToTemp(ctx context.Context, tx pgx.Tx, tmp, table string, cols []string, rows [][]any) (string, error) {
	// With the defaults: columns the copy does not name (written by another step) must pass
	// the table's NOT NULL constraints.
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP`, tmp, table)); err != nil {
		return "", err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{tmp}, cols, pgx.CopyFromRows(rows)); err != nil {
		return "", fmt.Errorf("copy %s: %w", table, err)
	}
	return tmp, nil
}

func groupNames(gs []GroupState) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Group
	}
	return out
}
