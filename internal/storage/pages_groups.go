package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// GroupQuery selects, orders and pages the groups page. Empty filters match everything.
type GroupQuery struct {
	// Scope is what the viewer may see; nothing else is listed.
	Scope Scope
	// Cluster, Health, Topic and Model filter on equality (Topic: the group reads it).
	Cluster, Health, Topic, Model string
	// Search keeps groups whose name contains it, ignoring case.
	Search string
	// Sort is one of the GroupSorts keys; "" is the default, worst health first.
	Sort string
	Desc bool
	// Limit and Offset page the result.
	Limit, Offset int
}

// HealthSeverity lists the statuses from the worst to the best; sorting by health uses it.
var HealthSeverity = []string{"STOP", "STALL", "OFFLINE", "REWIND", "WARN", "UNKNOWN", "OK"}

// GroupSorts maps the sort keys of the groups page to their SQL expressions. Unknown
// values (NULL) always sort last, whichever the direction: they are not small, they are
// unknown. A backlog that will not drain sorts as an infinite time to drain.
var GroupSorts = map[string]string{
	"group":    "g.group_name",
	"cluster":  "c.name",
	"health":   "array_position($14::text[], g.health)",
	"lag":      "g.lag",
	"lag_time": "g.lag_seconds",
	"drain":    "CASE WHEN g.drain_state IN ('growing', 'flat') THEN 'Infinity'::float8 ELSE g.drain_seconds END",
	"tps":      "g.consume_tps",
	"clients":  "g.clients",
	"model":    "g.message_model",
	"type":     "g.consume_type",
	"kind":     "g.kind",
}

// GroupPage is one page of groups and how many groups match in all.
type GroupPage struct {
	Rows  []GroupRow
	Total int
}

// ListGroups returns the page of groups q asks for, filtered, sorted and paged in SQL.
func ListGroups(ctx context.Context, db DBTX, q GroupQuery) (GroupPage, error) {
	order := "array_position($14::text[], g.health), g.lag_seconds DESC NULLS LAST, g.lag DESC NULLS LAST"
	if expr, ok := GroupSorts[q.Sort]; ok {
		dir := "ASC"
		if q.Desc {
			dir = "DESC"
		}
		order = expr + " " + dir + " NULLS LAST"
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	// $1-$5 filter, $6-$11 are the scope's, $12-$14 page and sort: the count below takes
	// the first eleven.
	visible, scopeArgs := q.Scope.where("c.name", "g.group_name", 6)
	where := `FROM group_state g JOIN cluster c ON c.id = g.cluster_id
		WHERE ($1 = '' OR c.name = $1)
		  AND ($2 = '' OR g.health = $2)
		  AND ($3 = '' OR g.topics @> ARRAY[$3])
		  AND ($4 = '' OR g.message_model = $4)
		  AND ($5 = '' OR g.group_name ILIKE '%' || $5 || '%')
		  AND ` + visible
	args := append([]any{q.Cluster, q.Health, q.Topic, q.Model, escapeLike(q.Search)}, scopeArgs...)
	// $14 is referenced even when the order does not use it, so that its type is known.
	rows, err := db.Query(ctx, `SELECT `+groupRowColumns+`, count(*) OVER () AS total `+where+`
		  AND cardinality($14::text[]) > 0
		ORDER BY `+order+`, c.name, g.group_name
		LIMIT $12 OFFSET $13`, append(args, q.Limit, q.Offset, HealthSeverity)...)
	if err != nil {
		return GroupPage{}, fmt.Errorf("list groups: %w", err)
	}
	type counted struct {
		GroupRow
		Total int `db:"total"`
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByName[counted])
	if err != nil {
		return GroupPage{}, fmt.Errorf("list groups: %w", err)
	}
	page := GroupPage{Rows: make([]GroupRow, len(got))}
	for i, r := range got {
		page.Rows[i], page.Total = r.GroupRow, r.Total
	}
	if len(got) == 0 && q.Offset > 0 {
		// Past the last page: still say how many match, so the page can offer the first.
		if err := db.QueryRow(ctx, `SELECT count(*) `+where, args...).Scan(&page.Total); err != nil {
			return GroupPage{}, fmt.Errorf("count groups: %w", err)
		}
	}
	return page, nil
}

// escapeLike makes s match itself literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
