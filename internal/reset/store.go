package reset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
)

// params is how a Spec's targets are stored (reset_request.params).
type params struct {
	Time    *time.Time       `json:"time,omitempty"`
	By      int64            `json:"by,omitempty"`
	Offsets map[string]int64 `json:"offsets,omitempty"`
	Queues  []string         `json:"queues,omitempty"`
	Source  string           `json:"source,omitempty"`
}

func paramsOf(s Spec) params {
	p := params{By: s.By, Source: s.Source}
	if !s.Time.IsZero() {
		t := s.Time.UTC()
		p.Time = &t
	}
	if len(s.Offsets) > 0 {
		p.Offsets = map[string]int64{}
		for q, o := range s.Offsets {
			p.Offsets[q.String()] = o
		}
	}
	for _, q := range s.Queues {
		p.Queues = append(p.Queues, q.String())
	}
	return p
}

func (p params) spec(cluster, group, topic string, kind Kind) (Spec, error) {
	s := Spec{Cluster: cluster, Group: group, Topic: topic, Kind: kind, By: p.By, Source: p.Source}
	if p.Time != nil {
		s.Time = *p.Time
	}
	for label, o := range p.Offsets {
		q, err := ParseQueue(label)
		if err != nil {
			return Spec{}, err
		}
		if s.Offsets == nil {
			s.Offsets = map[QueueRef]int64{}
		}
		s.Offsets[q] = o
	}
	for _, label := range p.Queues {
		q, err := ParseQueue(label)
		if err != nil {
			return Spec{}, err
		}
		s.Queues = append(s.Queues, q)
	}
	return s, nil
}

func insertRequest(ctx context.Context, db storage.DBTX, r Request) error {
	pj, err := json.Marshal(paramsOf(r.Spec))
	if err != nil {
		return err
	}
	prev, err := json.Marshal(r.Preview)
	if err != nil {
		return err
	}
	queues := paramsOf(r.Spec).Queues
	if queues == nil {
		queues = []string{}
	}
	var batchID, batchIndex, batchSize any // NULL for a single request
	if r.BatchID != "" {
		batchID, batchIndex, batchSize = r.BatchID, r.BatchIndex, r.BatchSize
	}
	_, err = db.Exec(ctx, `
		INSERT INTO reset_request (id, cluster, group_name, topic, kind, params, queues, reason, ticket,
			preview, required_approvals, state, requested_by, requested_by_name, requested_at, expires_at, updated_at,
			batch_id, batch_index, batch_size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $15, $17, $18, $19)`,
		r.ID, r.Cluster, r.Group, r.Topic, string(r.Spec.Kind), pj, queues, r.Reason, r.Ticket,
		prev, r.RequiredApprovals, string(r.State), r.RequestedBy, r.RequestedByName, r.RequestedAt, r.ExpiresAt,
		batchID, batchIndex, batchSize)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return errOpen
	}
	if err != nil {
		return fmt.Errorf("insert reset request: %w", err)
	}
	return nil
}

// errOpen is insertRequest's answer when the group and topic already have an open request.
var errOpen = errors.New("an open request exists")

const requestColumns = `id::text, cluster, group_name, topic, kind, params, reason, ticket, preview,
	required_approvals, state, requested_by, requested_by_name, requested_at, expires_at,
	executed_by, executed_by_name, executed_at, outcome, verified_at, verification,
	closed_by, closed_by_name, closed_at, close_comment, updated_at,
	coalesce(batch_id::text, ''), coalesce(batch_index, 0), coalesce(batch_size, 0),
	override_reason, override_by, override_by_name, override_windows, override_at`

func scanRequest(row pgx.Row) (Request, error) {
	var r Request
	var kind, state string
	var pj, prev []byte
	var outcome, verification []byte
	err := row.Scan(&r.ID, &r.Cluster, &r.Group, &r.Topic, &kind, &pj, &r.Reason, &r.Ticket, &prev,
		&r.RequiredApprovals, &state, &r.RequestedBy, &r.RequestedByName, &r.RequestedAt, &r.ExpiresAt,
		&r.ExecutedBy, &r.ExecutedByName, &r.ExecutedAt, &outcome, &r.VerifiedAt, &verification,
		&r.ClosedBy, &r.ClosedByName, &r.ClosedAt, &r.CloseComment, &r.UpdatedAt,
		&r.BatchID, &r.BatchIndex, &r.BatchSize,
		&r.OverrideReason, &r.OverrideBy, &r.OverrideByName, &r.OverrideWindows, &r.OverrideAt)
	if err != nil {
		return Request{}, err
	}
	r.State = State(state)
	var p params
	if err := json.Unmarshal(pj, &p); err != nil {
		return Request{}, fmt.Errorf("reset request %s: params: %w", r.ID, err)
	}
	if r.Spec, err = p.spec(r.Cluster, r.Group, r.Topic, Kind(kind)); err != nil {
		return Request{}, fmt.Errorf("reset request %s: params: %w", r.ID, err)
	}
	if err := json.Unmarshal(prev, &r.Preview); err != nil {
		return Request{}, fmt.Errorf("reset request %s: preview: %w", r.ID, err)
	}
	if outcome != nil {
		r.Outcome = new(Outcome)
		if err := json.Unmarshal(outcome, r.Outcome); err != nil {
			return Request{}, fmt.Errorf("reset request %s: outcome: %w", r.ID, err)
		}
	}
	if verification != nil {
		r.Verification = new(Verification)
		if err := json.Unmarshal(verification, r.Verification); err != nil {
			return Request{}, fmt.Errorf("reset request %s: verification: %w", r.ID, err)
		}
	}
	return r, nil
}

// getRequest reads a request and its decisions; forUpdate locks the request's row until
// the transaction ends.
func getRequest(ctx context.Context, db storage.DBTX, id string, forUpdate bool) (Request, error) {
	if !validID(id) {
		return Request{}, errcode.Errorf(errcode.NotFound, "There is no reset request %q.", id)
	}
	q := `SELECT ` + requestColumns + ` FROM reset_request WHERE id = $1`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	r, err := scanRequest(db.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Request{}, errcode.Errorf(errcode.NotFound, "There is no reset request %s.", id)
	}
	if err != nil {
		return Request{}, fmt.Errorf("read reset request %s: %w", id, err)
	}
	rows, err := db.Query(ctx, `SELECT actor, actor_name, decision = 'approved', comment, at
		FROM reset_decision WHERE request_id = $1 ORDER BY at, actor`, id)
	if err != nil {
		return Request{}, fmt.Errorf("read decisions on %s: %w", id, err)
	}
	r.Decisions, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Decision, error) {
		var d Decision
		err := row.Scan(&d.Actor, &d.ActorName, &d.Approved, &d.Comment, &d.At)
		return d, err
	})
	if err != nil {
		return Request{}, fmt.Errorf("read decisions on %s: %w", id, err)
	}
	return r, nil
}

// getItems reads the request id names and, when it is one of several, all of them in order,
// each with its decisions; forUpdate locks their rows until the transaction ends, always in
// the same order, so that two transactions on one request cannot deadlock.
func getItems(ctx context.Context, db storage.DBTX, id string, forUpdate bool) ([]Request, error) {
	r, err := getRequest(ctx, db, id, false)
	if err != nil {
		return nil, err
	}
	if r.BatchID == "" {
		if !forUpdate {
			return []Request{r}, nil
		}
		r, err = getRequest(ctx, db, id, true)
		return []Request{r}, err
	}
	rows, err := db.Query(ctx, `SELECT id::text FROM reset_request WHERE batch_id = $1 ORDER BY batch_index`, r.BatchID)
	if err != nil {
		return nil, fmt.Errorf("read the groups of reset request %s: %w", r.BatchID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read the groups of reset request %s: %w", r.BatchID, err)
	}
	items := make([]Request, 0, len(ids))
	for _, itemID := range ids {
		it, err := getRequest(ctx, db, itemID, forUpdate)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// openRequest returns the id of the open request on a group and topic, "" if none.
func openRequest(ctx context.Context, db storage.DBTX, cluster, group, topic string) (string, error) {
	var id string
	err := db.QueryRow(ctx, `SELECT id::text FROM reset_request
		WHERE cluster = $1 AND group_name = $2 AND topic = $3
			AND (state IN ('pending', 'approved', 'executing') OR (state IN ('executed', 'partial') AND verified_at IS NULL))`,
		cluster, group, topic).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, err
}

func insertDecision(ctx context.Context, db storage.DBTX, id string, d Decision) error {
	decision := "rejected"
	if d.Approved {
		decision = "approved"
	}
	_, err := db.Exec(ctx, `INSERT INTO reset_decision (request_id, actor, actor_name, decision, comment, at)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, d.Actor, d.ActorName, decision, d.Comment, d.At)
	if err != nil {
		return fmt.Errorf("record decision on %s: %w", id, err)
	}
	return nil
}

// setState moves a request from one of the states in from to to, with the columns in
// set; it reports false when the request was not in one of those states (someone else
// moved it first).
func setState(ctx context.Context, db storage.DBTX, id string, from []State, to State, now time.Time, set string, args ...any) (bool, error) {
	return setStateWhere(ctx, db, id, from, to, now, "", set, args...)
}

// setStateWhere is setState that also requires cond, SQL over the same parameters: $2 is
// now, and args follow from $3.
func setStateWhere(ctx context.Context, db storage.DBTX, id string, from []State, to State, now time.Time, cond, set string, args ...any) (bool, error) {
	fromS := make([]string, len(from))
	for i, s := range from {
		fromS[i] = string(s)
	}
	q := `UPDATE reset_request SET state = $1, updated_at = $2`
	if set != "" {
		q += `, ` + set
	}
	q += fmt.Sprintf(` WHERE id = $%d AND state = ANY($%d)`, len(args)+3, len(args)+4)
	if cond != "" {
		q += ` AND ` + cond
	}
	all := append([]any{string(to), now}, args...)
	all = append(all, id, fromS)
	tag, err := db.Exec(ctx, q, all...)
	if err != nil {
		return false, fmt.Errorf("reset request %s to %s: %w", id, to, err)
	}
	return tag.RowsAffected() == 1, nil
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
