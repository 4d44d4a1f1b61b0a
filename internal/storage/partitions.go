package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Retention says how long each history table keeps its rows.
type Retention struct {
	QueueSamples time.Duration // per-queue detail; default 48 h
	TopicMinutes time.Duration // per group and topic, a point a minute; default 30 days
	TopicHours   time.Duration // per group and topic, a point an hour; default 400 days
}

// DefaultRetention is the retention used unless configured otherwise.
var DefaultRetention = Retention{QueueSamples: 48 * time.Hour, TopicMinutes: 30 * 24 * time.Hour, TopicHours: 400 * 24 * time.Hour}

// span is one way of cutting time into partitions, named by a Go time layout.
type span struct {
	layout string
	start  func(time.Time) time.Time // start of the partition holding t
	next   func(time.Time) time.Time // start of the following partition
}

func hour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
func month(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
func year(t time.Time) time.Time { return time.Date(t.UTC().Year(), 1, 1, 0, 0, 0, 0, time.UTC) }

var (
	hourly  = span{"2006010215", hour, func(t time.Time) time.Time { return hour(t).Add(time.Hour) }}
	daily   = span{"20060102", day, func(t time.Time) time.Time { return day(t).AddDate(0, 0, 1) }}
	monthly = span{"200601", month, func(t time.Time) time.Time { return month(t).AddDate(0, 1, 0) }}
	yearly  = span{"2006", year, func(t time.Time) time.Time { return year(t).AddDate(1, 0, 0) }}
)

// partitioned describes one time-partitioned table: how new partitions are cut, which older
// cuts it may still hold (partitions made before migration 0016), and its retention.
type partitioned struct {
	table  string
	create *span  // how new partitions are cut
	spans  []span // every cut a partition's name may have
	keep   func(Retention) time.Duration
}

var (
	queueSampleTable = partitioned{"queue_sample", &hourly, []span{hourly, daily},
		func(r Retention) time.Duration { return r.QueueSamples }}
	topicMinuteTable = partitioned{"topic_minute", &hourly, []span{hourly, monthly},
		func(r Retention) time.Duration { return r.TopicMinutes }}
	topicHourTable = partitioned{"topic_hour", &daily, []span{daily, yearly},
		func(r Retention) time.Duration { return r.TopicHours }}
	queueChunkTable = partitioned{"queue_chunk", &daily, []span{daily},
		func(r Retention) time.Duration { return r.QueueSamples }}
	topicChunkTable = partitioned{"topic_chunk", &daily, []span{daily},
		func(r Retention) time.Duration { return r.TopicMinutes }}
	topicDayTable = partitioned{"topic_day", &monthly, []span{monthly},
		func(r Retention) time.Duration { return r.TopicHours }}
)

var partitionedTables = []partitioned{queueSampleTable, topicMinuteTable, topicHourTable, queueChunkTable, topicChunkTable, topicDayTable}

// partition is one partition of a history table and the times it holds, [from, to).
type partition struct {
	name     string
	from, to time.Time
}

// yearly reports whether the partition is cut by year: topic_hour's from before migration
// 0016, whose rows are no longer written.
func (p partition) yearly() bool { return p.to.Sub(p.from) > 31*24*time.Hour }

// parse reads a partition's range from its name; ok is false for a name not of this table.
func (p partitioned) parse(name string) (partition, bool) {
	suffix, found := strings.CutPrefix(name, p.table+"_p")
	if !found {
		return partition{}, false
	}
	for _, s := range p.spans {
		if len(suffix) != len(s.layout) {
			continue
		}
		from, err := time.Parse(s.layout, suffix)
		if err != nil {
			continue
		}
		return partition{name: name, from: from, to: s.next(from)}, true
	}
	return partition{}, false
}

// partitions lists the table's partitions that parse, oldest first.
func (p partitioned) partitions(ctx context.Context, db DBTX) ([]partition, error) {
	names, err := partitionsOf(ctx, db, p.table)
	if err != nil {
		return nil, err
	}
	var out []partition
	for _, n := range names {
		if part, ok := p.parse(n); ok {
			out = append(out, part)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from.Before(out[j].from) })
	return out, nil
}

// ensure creates the partitions holding each of times that no partition holds yet.
func (p partitioned) ensure(ctx context.Context, db DBTX, times ...time.Time) error {
	if p.create == nil || len(times) == 0 {
		return nil
	}
	have, err := p.partitions(ctx, db)
	if err != nil {
		return err
	}
	for _, t := range times {
		held := false
		for _, h := range have {
			if !t.Before(h.from) && t.Before(h.to) {
				held = true
				break
			}
		}
		if held {
			continue
		}
		from := p.create.start(t)
		part := partition{name: p.table + "_p" + from.Format(p.create.layout), from: from, to: p.create.next(from)}
		// Packed rows are about 2 KB: kept in the row rather than moved to a TOAST table
		// (the columns are STORAGE MAIN) and not run through compression, which gains
		// nothing on varints.
		with := ""
		if p.table == queueChunkTable.table || p.table == topicChunkTable.table || p.table == topicDayTable.table {
			with = " WITH (toast_tuple_target = 8160)"
		}
		sql := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')%s`,
			pgx.Identifier{part.name}.Sanitize(), p.table, part.from.Format(time.RFC3339), part.to.Format(time.RFC3339), with)
		if _, err := db.Exec(ctx, sql); err != nil && !createdMeanwhile(err) {
			return fmt.Errorf("create partition %s: %w", part.name, err)
		}
		have = append(have, part)
	}
	return nil
}

// createdMeanwhile reports whether creating a table failed because another session
// created it at the same moment: the pollers of several clusters, and the compaction, all
// make the partitions of the hour as it turns, and IF NOT EXISTS does not cover two
// creations racing (42P07, or 23505 on the catalog's type name index).
func createdMeanwhile(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "42P07" || pg.Code == "23505")
}

// EnsurePartitions creates the partitions that hold now, the hour before and the next
// period of every history table, so writes never find a missing partition when the hour or
// the day turns. Times already held by a partition of an older cut are left to it.
func EnsurePartitions(ctx context.Context, db DBTX, now time.Time) error {
	for _, p := range partitionedTables {
		if p.create == nil {
			continue
		}
		if err := p.ensure(ctx, db, now.Add(-time.Hour), now, p.create.next(now)); err != nil {
			return err
		}
	}
	return nil
}

// DropExpiredPartitions drops every partition whose rows are all older than its table's
// retention and returns the names dropped. Dropping a partition is instant and leaves no
// bloat, unlike deleting rows. Per-queue samples and minute points are normally packed and
// their partitions dropped long before (CompactHistory); this drops those that were not.
func DropExpiredPartitions(ctx context.Context, db DBTX, now time.Time, r Retention) ([]string, error) {
	var dropped []string
	for _, p := range partitionedTables {
		parts, err := p.partitions(ctx, db)
		if err != nil {
			return dropped, err
		}
		cutoff := now.Add(-p.keep(r))
		for _, part := range parts {
			if part.to.After(cutoff) {
				continue
			}
			if _, err := db.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{part.name}.Sanitize()); err != nil {
				return dropped, fmt.Errorf("drop partition %s: %w", part.name, err)
			}
			dropped = append(dropped, part.name)
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
