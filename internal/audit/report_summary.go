package audit

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/lagboard/lagboard/internal/storage"
)

// Month is the summary of one calendar month, in UTC. docs/AUDIT.md defines each figure.
type Month struct {
	// Start is the first instant of the month.
	Start time.Time
	// Resets are the resets executed this month, by cluster and kind.
	Resets []ResetCount
	// Approved is how many resets were first approved this month; MedianApproval is the
	// median time from their request to their first approval, 0 without any.
	Approved       int64
	MedianApproval time.Duration
	// Denied counts the entries whose outcome is denied: refused requests and sign-ins.
	Denied int64
	// NotHonoured counts the resets found not honoured (clients overwrote them).
	NotHonoured int64
	// Logins counts successful sign-ins; LoginUsers the distinct people behind them.
	Logins, LoginUsers int64
}

// ResetCount is how many resets of one kind were executed on one cluster; Failed of them
// did not succeed (failed or partial).
type ResetCount struct {
	Cluster, Kind    string
	Executed, Failed int64
}

// ExecutedResets is the sum of the month's executed resets.
func (m Month) ExecutedResets() int64 {
	var n int64
	for _, r := range m.Resets {
		n += r.Executed
	}
	return n
}

// MonthlySummary summarises every month from first's month to last's month, both included,
// oldest first; months without entries are there with zero figures.
func MonthlySummary(ctx context.Context, db storage.DBTX, first, last time.Time) ([]Month, error) {
	start, end := monthStart(first), monthStart(last).AddDate(0, 1, 0)
	var months []Month
	index := map[time.Time]int{}
	for m := start; m.Before(end); m = m.AddDate(0, 1, 0) {
		index[m] = len(months)
		months = append(months, Month{Start: m})
	}
	at := func(t time.Time) *Month { return &months[index[monthStart(t)]] }
	fail := func(what string, err error) ([]Month, error) {
		return nil, fmt.Errorf("audit summary %s: %w", what, err)
	}

	rows, err := db.Query(ctx, `
		SELECT date_trunc('month', at AT TIME ZONE 'UTC'), cluster, coalesce(parameters::jsonb->>'kind', ''),
			count(DISTINCT coalesce(parameters::jsonb->>'reset_id', id::text)),
			count(DISTINCT coalesce(parameters::jsonb->>'reset_id', id::text)) FILTER (WHERE outcome <> 'success')
		FROM audit_entry WHERE action = 'reset.executed' AND at >= $1 AND at < $2
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, start, end)
	if err != nil {
		return fail("of resets", err)
	}
	var (
		month time.Time
		rc    ResetCount
	)
	for rows.Next() {
		if err := rows.Scan(&month, &rc.Cluster, &rc.Kind, &rc.Executed, &rc.Failed); err != nil {
			rows.Close()
			return fail("of resets", err)
		}
		m := at(month)
		m.Resets = append(m.Resets, rc)
	}
	if err := rows.Err(); err != nil {
		return fail("of resets", err)
	}

	// A reset belongs to the month of its first approval; later approvals (of a request
	// that needs several) do not count again.
	rows, err = db.Query(ctx, `
		WITH first_approval AS (
			SELECT parameters::jsonb->>'reset_id' AS reset_id, min(at) AS at
			FROM audit_entry WHERE action = 'reset.approved' AND at < $2
			GROUP BY 1 HAVING min(at) >= $1),
		requested AS (
			SELECT parameters::jsonb->>'reset_id' AS reset_id, min(at) AS at
			FROM audit_entry WHERE action = 'reset.requested' AND at < $2
				AND parameters::jsonb->>'reset_id' IN (SELECT reset_id FROM first_approval)
			GROUP BY 1)
		SELECT date_trunc('month', a.at AT TIME ZONE 'UTC'), count(*),
			percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.at - r.at)::float8)
		FROM first_approval a JOIN requested r USING (reset_id)
		GROUP BY 1`, start, end)
	if err != nil {
		return fail("of approvals", err)
	}
	var (
		n      int64
		median float64
	)
	for rows.Next() {
		if err := rows.Scan(&month, &n, &median); err != nil {
			rows.Close()
			return fail("of approvals", err)
		}
		m := at(month)
		m.Approved, m.MedianApproval = n, time.Duration(math.Round(median*1e6))*time.Microsecond
	}
	if err := rows.Err(); err != nil {
		return fail("of approvals", err)
	}

	rows, err = db.Query(ctx, `
		SELECT date_trunc('month', at AT TIME ZONE 'UTC'),
			count(*) FILTER (WHERE outcome = 'denied'),
			count(DISTINCT parameters::jsonb->>'reset_id') FILTER (WHERE action = 'reset.not_honoured'),
			count(*) FILTER (WHERE action = 'login' AND outcome = 'success'),
			count(DISTINCT actor_subject) FILTER (WHERE action = 'login' AND outcome = 'success')
		FROM audit_entry WHERE at >= $1 AND at < $2
		GROUP BY 1`, start, end)
	if err != nil {
		return fail("of counts", err)
	}
	var c Month
	for rows.Next() {
		if err := rows.Scan(&month, &c.Denied, &c.NotHonoured, &c.Logins, &c.LoginUsers); err != nil {
			rows.Close()
			return fail("of counts", err)
		}
		m := at(month)
		m.Denied, m.NotHonoured, m.Logins, m.LoginUsers = c.Denied, c.NotHonoured, c.Logins, c.LoginUsers
	}
	if err := rows.Err(); err != nil {
		return fail("of counts", err)
	}
	return months, nil
}

// monthStart is the first instant of t's month in UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
