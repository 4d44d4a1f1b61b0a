package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Retention says how long each history table keeps its rows.
type Retention struct {
	QueueSamples time.Duration // per-queue detail; default 48 h
	TopicMinutes time.Duration // per group and topic, a point a minute; default 30 days
	TopicHours   time.Duration // per group and topic, a point an hour; default 400 days
}

// DefaultRetention is the retention used unless configured otherwise.
var DefaultRetention = Retention{QueueSamples: 48 * time.Hour, TopicMinutes: 30 * 24 * time.Hour, TopicHours: 400 * 24 * time.Hour}

// partitioned describes one time-partitioned table: how its partitions are cut and named.
type partitioned struct {
	table  string
	layout string                    // Go time layout of the name suffix
	start  func(time.Time) time.Time // start of the partition holding t
	next   func(time.Time) time.Time // start of the following partition
	keep   func(Retention) time.Duration
}

func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
func month(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
func year(t time.Time) time.Time { return time.Date(t.UTC().Year(), 1, 1, 0, 0, 0, 0, time.UTC) }

var partitionedTables = []partitioned{
	{"queue_sample", "20060102", day, func(t time.Time) time.Time { return day(t).AddDate(0, 0, 1) },
		func(r Retention) time.Duration { return r.QueueSamples }},
	{"topic_minute", "200601", month, func(t time.Time) time.Time { return month(t).AddDate(0, 1, 0) },
		func(r Retention) time.Duration { return r.TopicMinutes }},
	{"topic_hour", "2006", year, func(t time.Time) time.Time { return year(t).AddDate(1, 0, 0) },
		func(r Retention) time.Duration { return r.TopicHours }},
}

// EnsurePartitions creates the partitions that hold now and the next period of every
// history table, so writes never find a missing partition at midnight.
func EnsurePartitions(ctx context.Context, db DBTX, now time.Time) error {
	for _, p := range partitionedTables {
		for _, from := range []time.Time{p.start(now), p.next(now)} {
			name := p.table + "_p" + from.Format(p.layout)
			sql := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
				pgx.Identifier{name}.Sanitize(), p.table, from.Format(time.RFC3339), p.next(from).Format(time.RFC3339))
			if _, err := db.Exec(ctx, sql); err != nil {
				return fmt.Errorf("create partition %s: %w", name, err)
			}
		}
	}
	return nil
}

// DropExpiredPartitions drops every partition whose rows are all older than its table's
// retention and returns the names dropped. Dropping a partition is instant and leaves no
// bloat, unlike deleting rows.
func DropExpiredPartitions(ctx context.Context, db DBTX, now time.Time, r Retention) ([]string, error) {
	var dropped []string
	for _, p := range partitionedTables {
		names, err := partitionsOf(ctx, db, p.table)
		if err != nil {
			return dropped, err
		}
		cutoff := now.Add(-p.keep(r))
		for _, name := range names {
			from, err := time.Parse(p.layout, strings.TrimPrefix(name, p.table+"_p"))
			if err != nil {
				continue // not ours: leave it alone
			}
			if !p.next(from).After(cutoff) {
				if _, err := db.Exec(ctx, "DROP TABLE "+pgx.Identifier{name}.Sanitize()); err != nil {
					return dropped, fmt.Errorf("drop partition %s: %w", name, err)
				}
				dropped = append(dropped, name)
			}
		}
	}
	return dropped, nil
}

func partitionsOf(ctx context.Context, db DBTX, table string) ([]string, error) {
	rows, err := db.Query(ctx, `
		SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = $1 AND p.relnamespace = current_schema()::regnamespace`, table)
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", table, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	sort.Strings(names)
	return names, err
}
