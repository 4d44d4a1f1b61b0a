package audit

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/storage"
)

// Filter selects entries for listings, timelines and exports. Zero fields select
// everything; set fields must all match.
type Filter struct {
	// From and To bound At: From <= At < To. Zero times leave that side open.
	From, To time.Time
	// Actor matches part of the actor's subject or e-mail address, ignoring case.
	Actor string
	// Action is an exact action ("reset.approved"), or a prefix when it ends in a dot
	// ("reset." is every action of the reset workflow).
	Action string
	// Cluster and Group match the target exactly.
	Cluster, Group string
	// Outcome matches exactly.
	Outcome Outcome
}

// Page is one page of a listing: the entries before (older than) or after (newer than) a
// sequence number, at most Limit of them. With neither cursor set a listing starts at its
// natural end: the newest entry for List, the oldest for Timeline.
type Page struct {
	Before, After int64
	// Limit is the page size: 50 when 0, at most MaxPage.
	Limit int
}

// MaxPage is the largest page a listing returns.
const MaxPage = 1000

// Listing is a page of entries and the cursors of the pages around it.
type Listing struct {
	Entries []Entry
	// Newer is the Page.After of the next newer page, Older the Page.Before of the next
	// older one; 0 when there is no such page.
	Newer, Older int64
}

// List returns one page of the entries that match f, newest first. Pages are cut by
// sequence number (keyset paging), so a page costs the same at the millionth entry as at
// the first, and entries appended meanwhile do not shift the pages.
func List(ctx context.Context, db storage.DBTX, f Filter, p Page) (Listing, error) {
	l, err := page(ctx, db, f, p, true)
	if err != nil {
		return Listing{}, fmt.Errorf("list audit entries: %w", err)
	}
	return l, nil
}

// Timeline returns one page of everything that happened to one consumer group of one
// cluster, oldest first.
func Timeline(ctx context.Context, db storage.DBTX, cluster, group string, p Page) (Listing, error) {
	l, err := page(ctx, db, Filter{Cluster: cluster, Group: group}, p, false)
	if err != nil {
		return Listing{}, fmt.Errorf("timeline of %s in %s: %w", group, cluster, err)
	}
	return l, nil
}

// page reads limit+1 entries from the cursor on, to learn whether more follow, and
// returns them in display order with the cursors of the neighbouring pages.
func page(ctx context.Context, db storage.DBTX, f Filter, p Page, newestFirst bool) (Listing, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxPage)
	var args []any
	where := f.conditions(&args)
	desc := newestFirst
	switch {
	case p.Before > 0:
		desc = true
		where = append(where, "seq < "+arg(&args, p.Before))
	case p.After > 0:
		desc = false
		where = append(where, "seq > "+arg(&args, p.After))
	}
	order := "ASC"
	if desc {
		order = "DESC"
	}
	q := "SELECT " + entryColumns + " FROM audit_entry" + whereClause(where) +
		" ORDER BY seq " + order + " LIMIT " + strconv.Itoa(limit+1)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return Listing{}, err
	}
	entries, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return Listing{}, err
	}
	more := len(entries) > limit
	entries = entries[:min(len(entries), limit)]
	var l Listing
	if n := len(entries); n > 0 {
		first, last := entries[0].Seq, entries[n-1].Seq
		if desc {
			l.Older = cond(more, last)
			l.Newer = cond(p.Before > 0, first)
		} else {
			l.Newer = cond(more, last)
			l.Older = cond(p.After > 0, first)
		}
	}
	if desc != newestFirst {
		slices.Reverse(entries)
	}
	l.Entries = entries
	return l, nil
}

// conditions are f's SQL conditions; their values are appended to args.
func (f Filter) conditions(args *[]any) []string {
	var w []string
	if !f.From.IsZero() {
		w = append(w, "at >= "+arg(args, f.From))
	}
	if !f.To.IsZero() {
		w = append(w, "at < "+arg(args, f.To))
	}
	if f.Actor != "" {
		a := arg(args, "%"+escapeLike(f.Actor)+"%")
		w = append(w, "(actor_subject ILIKE "+a+" OR actor_email ILIKE "+a+")")
	}
	if prefix, ok := strings.CutSuffix(f.Action, "."); ok && prefix != "" {
		w = append(w, "action LIKE "+arg(args, escapeLike(f.Action)+"%"))
	} else if f.Action != "" {
		w = append(w, "action = "+arg(args, f.Action))
	}
	if f.Cluster != "" {
		w = append(w, "cluster = "+arg(args, f.Cluster))
	}
	if f.Group != "" {
		w = append(w, "group_name = "+arg(args, f.Group))
	}
	if f.Outcome != "" {
		w = append(w, "outcome = "+arg(args, string(f.Outcome)))
	}
	return w
}

// arg appends v to args and returns its placeholder.
func arg(args *[]any, v any) string {
	*args = append(*args, v)
	return "$" + strconv.Itoa(len(*args))
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// escapeLike makes s match itself in a LIKE pattern (backslash is the default escape).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func cond(ok bool, seq int64) int64 {
	if ok {
		return seq
	}
	return 0
}

// entryColumns are the columns scanEntry reads, in its order.
const entryColumns = `seq, id::text, at, actor_subject, actor_issuer, actor_email, actor_name,
	actor_groups, session_hash, source_ip, user_agent, action, cluster, group_name, topic, queues,
	request_id, reason, parameters, before, after, outcome, error, prev_hash, hash`

// scanEntry reads a row of entryColumns; it is a pgx.RowToFunc.
func scanEntry(row pgx.CollectableRow) (Entry, error) {
	var e Entry
	var action, outcome string
	var params, before, after *string
	err := row.Scan(&e.Seq, &e.ID, &e.At, &e.Actor.Subject, &e.Actor.Issuer, &e.Actor.Email,
		&e.Actor.Name, &e.Actor.Groups, &e.Session, &e.SourceIP, &e.UserAgent, &action,
		&e.Target.Cluster, &e.Target.Group, &e.Target.Topic, &e.Target.Queues, &e.RequestID,
		&e.Reason, &params, &before, &after, &outcome, &e.Error, &e.PrevHash, &e.Hash)
	e.At = e.At.UTC()
	e.Action, e.Outcome = Action(action), Outcome(outcome)
	e.Parameters, e.Before, e.After = raw(params), raw(before), raw(after)
	return e, err
}
