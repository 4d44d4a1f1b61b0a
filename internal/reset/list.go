package reset

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/storage"
)

// Filter narrows the list of requests. Empty fields match everything.
type Filter struct {
	States  []State
	Cluster string
	Group   string
	Topic   string
	// Visible keeps the requests the reader may see (their cluster and group); nil keeps all.
	Visible func(cluster, group string) bool
	// Search keeps the requests whose group or topic contains it, ignoring case.
	Search string
	// Sort is one of the ListSorts keys; "" is the newest first. Desc reverses it.
	Sort string
	Desc bool
	// Offset skips that many visible requests; Limit caps the number returned; 0 means 200.
	Offset, Limit int
}

// ListSorts maps the sort keys of the reset list to their columns. Every order ends with
// the request time, newest first, and the id, so pages never overlap.
var ListSorts = map[string]string{
	"requested": "requested_at",
	"group":     "group_name",
	"topic":     "topic",
	"cluster":   "cluster",
	"state":     "state",
	"by":        "requested_by_name",
	"kind":      "kind",
}

// maxScanned caps the rows List reads for one page.
const maxScanned = 10000

// List returns requests matching f, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Request, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		where = append(where, "state = ANY("+arg(states)+")")
	}
	if f.Cluster != "" {
		where = append(where, "cluster = "+arg(f.Cluster))
	}
	if f.Group != "" {
		where = append(where, "group_name = "+arg(f.Group))
	}
	if f.Topic != "" {
		where = append(where, "topic = "+arg(f.Topic))
	}
	if f.Search != "" {
		p := arg("%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Search) + "%")
		where = append(where, "(group_name ILIKE "+p+" OR topic ILIKE "+p+")")
	}
	q := `SELECT ` + requestColumns + ` FROM reset_request`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	// The visibility filter runs on the rows read, so more are read than shown; the cap
	// bounds a page however many requests the database holds.
	order := "requested_at DESC, id"
	if col, ok := ListSorts[f.Sort]; ok {
		dir := "ASC"
		if f.Desc {
			dir = "DESC"
		}
		order = col + " " + dir + ", " + order
	}
	q += ` ORDER BY ` + order + ` LIMIT ` + arg(min((f.Offset+limit)*50, maxScanned))
	rows, err := s.o.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list reset requests: %w", err)
	}
	defer rows.Close()
	var out []Request
	skipped := 0
	for rows.Next() && len(out) < limit {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		if f.Visible != nil && !f.Visible(r.Cluster, r.Group) {
			continue
		}
		if skipped < f.Offset {
			skipped++
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reset requests: %w", err)
	}
	rows.Close()
	return out, withDecisions(ctx, s.o.Pool, out)
}

// withDecisions reads the decisions of listed requests in one query, so the list counts
// their approvals.
func withDecisions(ctx context.Context, db storage.DBTX, reqs []Request) error {
	if len(reqs) == 0 {
		return nil
	}
	ids := make([]string, len(reqs))
	at := make(map[string]int, len(reqs))
	for i, r := range reqs {
		ids[i], at[r.ID] = r.ID, i
	}
	rows, err := db.Query(ctx, `SELECT request_id::text, actor, actor_name, decision = 'approved', comment, at
		FROM reset_decision WHERE request_id = ANY($1::uuid[]) ORDER BY at, actor`, ids)
	if err != nil {
		return fmt.Errorf("read decisions of the listed requests: %w", err)
	}
	var id string
	var d Decision
	_, err = pgx.ForEachRow(rows, []any{&id, &d.Actor, &d.ActorName, &d.Approved, &d.Comment, &d.At}, func() error {
		reqs[at[id]].Decisions = append(reqs[at[id]].Decisions, d)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read decisions of the listed requests: %w", err)
	}
	return nil
}

// Event is one entry of a request's timeline, read from the audit trail. Group and Topic
// say which (group, topic) of a request of several it concerns.
type Event struct {
	Seq          int64
	At           time.Time
	Actor        string
	Action       string
	Outcome      string
	Reason       string
	Error        string
	Group, Topic string
}

// Timeline returns the audit entries of a request, oldest first: its whole history,
// refused attempts included; for a request of several groups, those of every group.
func (s *Service) Timeline(ctx context.Context, id string) ([]Event, error) {
	ids := []string{id}
	if r, err := getRequest(ctx, s.o.Pool, id, false); err == nil && r.Batched() {
		items, err := getItems(ctx, s.o.Pool, id, false)
		if err != nil {
			return nil, err
		}
		ids = ids[:0]
		for _, it := range items {
			ids = append(ids, it.ID)
		}
	}
	rows, err := s.o.Pool.Query(ctx, `
		SELECT seq, at, COALESCE(NULLIF(actor_name, ''), NULLIF(actor_email, ''), actor_subject), action, outcome, reason, error,
			group_name, topic
		FROM audit_entry
		WHERE action LIKE 'reset.%' AND (parameters::jsonb) ->> 'reset_id' = ANY($1)
		ORDER BY seq`, ids)
	if err != nil {
		return nil, fmt.Errorf("read the timeline of %s: %w", id, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var e Event
		err := row.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Outcome, &e.Reason, &e.Error, &e.Group, &e.Topic)
		return e, err
	})
}
