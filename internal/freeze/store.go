package freeze

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
)

const windowColumns = `id::text, name, reason, clusters, groups, kind, starts_at, ends_at, days,
	from_minute, to_minute, time_zone, created_by, created_by_name, created_at, updated_by, updated_by_name, updated_at`

func scanWindow(row pgx.Row) (Window, error) {
	var w Window
	var kind string
	var start, end *time.Time
	var days []int32
	var from, to int
	err := row.Scan(&w.ID, &w.Name, &w.Reason, &w.Clusters, &w.Groups, &kind, &start, &end, &days,
		&from, &to, &w.Zone, &w.CreatedBy, &w.CreatedByName, &w.CreatedAt, &w.UpdatedBy, &w.UpdatedByName, &w.UpdatedAt)
	if err != nil {
		return Window{}, err
	}
	w.Kind, w.From, w.To = Kind(kind), Clock(from), Clock(to)
	if start != nil {
		w.Start = start.UTC()
	}
	if end != nil {
		w.End = end.UTC()
	}
	for _, d := range days {
		w.Days = append(w.Days, time.Weekday(d))
	}
	return w, nil
}

// listWindows returns every window, those that end first first (weekly ones last), then
// by name.
func listWindows(ctx context.Context, db storage.DBTX) ([]Window, error) {
	rows, err := db.Query(ctx, `SELECT `+windowColumns+` FROM freeze_window ORDER BY ends_at NULLS LAST, name, id`)
	if err != nil {
		return nil, fmt.Errorf("list freeze windows: %w", err)
	}
	ws, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Window, error) { return scanWindow(row) })
	if err != nil {
		return nil, fmt.Errorf("list freeze windows: %w", err)
	}
	return ws, nil
}

// getWindow reads one window; forUpdate locks it until the transaction ends.
func getWindow(ctx context.Context, db storage.DBTX, id string, forUpdate bool) (Window, error) {
	if !validID(id) {
		return Window{}, errcode.Errorf(errcode.NotFound, "There is no freeze window %q.", id)
	}
	q := `SELECT ` + windowColumns + ` FROM freeze_window WHERE id = $1`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	w, err := scanWindow(db.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Window{}, errcode.Errorf(errcode.NotFound, "There is no freeze window %s; it may have been deleted.", id)
	}
	if err != nil {
		return Window{}, fmt.Errorf("read freeze window %s: %w", id, err)
	}
	return w, nil
}

// saveWindow inserts the window, or updates it when it exists.
func saveWindow(ctx context.Context, db storage.DBTX, w Window) error {
	var start, end *time.Time
	if w.Kind == Once {
		start, end = &w.Start, &w.End
	}
	days := make([]int32, len(w.Days))
	for i, d := range w.Days {
		days[i] = int32(d)
	}
	_, err := db.Exec(ctx, `
		INSERT INTO freeze_window (id, name, reason, clusters, groups, kind, starts_at, ends_at, days, from_minute, to_minute,
			time_zone, created_by, created_by_name, created_at, updated_by, updated_by_name, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (id) DO UPDATE SET name = $2, reason = $3, clusters = $4, groups = $5, kind = $6, starts_at = $7,
			ends_at = $8, days = $9, from_minute = $10, to_minute = $11, time_zone = $12,
			updated_by = $16, updated_by_name = $17, updated_at = $18`,
		w.ID, w.Name, w.Reason, w.Clusters, w.Groups, string(w.Kind), start, end, days, int(w.From), int(w.To),
		w.Zone, w.CreatedBy, w.CreatedByName, w.CreatedAt, w.UpdatedBy, w.UpdatedByName, w.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save freeze window %s: %w", w.ID, err)
	}
	return nil
}

func deleteWindow(ctx context.Context, db storage.DBTX, id string) error {
	if _, err := db.Exec(ctx, `DELETE FROM freeze_window WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete freeze window %s: %w", id, err)
	}
	return nil
}

// validID reports whether id looks like a UUID, so that a bad URL is a 404, not a 500.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
