package audit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/storage"
)

// appendLockKey serialises appends to the chain across connections and replicas; it is
// held until the appending transaction ends.
const appendLockKey = 0x6c61676175646974 // "lagaudit"

// Append writes e as the next entry of the chain, inside the caller's transaction: if the
// entry cannot be written the caller's change must roll back with it, and if the caller
// rolls back the entry goes too. Appends are serialised by a transaction-scoped advisory
// lock, so call Append late in short transactions. The transaction must be READ COMMITTED
// (the default): a snapshot older than the lock would read a stale head, and the insert
// would then fail on the sequence number rather than fork the chain.
func Append(ctx context.Context, tx pgx.Tx, e Entry) error {
	if err := check(e); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.ID = NewID()
	e, err := normalize(e)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(appendLockKey)); err != nil {
		return fmt.Errorf("audit %s: lock the chain: %w", e.Action, err)
	}
	head, err := ReadHead(ctx, tx)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	e.Seq, e.PrevHash = head.Seq+1, head.Hash
	if e.Hash, err = HashOf(e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO audit_entry (seq, id, at, actor_subject, actor_issuer, actor_email, actor_name,
			actor_groups, session_hash, source_ip, user_agent, action, cluster, group_name, topic,
			queues, request_id, reason, parameters, before, after, outcome, error, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
			$19, $20, $21, $22, $23, $24, $25)`,
		e.Seq, e.ID, e.At, e.Actor.Subject, e.Actor.Issuer, e.Actor.Email, e.Actor.Name,
		e.Actor.Groups, e.Session, e.SourceIP, e.UserAgent, string(e.Action), e.Target.Cluster,
		e.Target.Group, e.Target.Topic, e.Target.Queues, e.RequestID, e.Reason,
		text(e.Parameters), text(e.Before), text(e.After), string(e.Outcome), e.Error, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("audit %s: insert entry %d: %w", e.Action, e.Seq, err)
	}
	return nil
}

// ReadHead returns the newest entry's sequence number and hash; an empty chain has
// sequence 0 and GenesisHash.
func ReadHead(ctx context.Context, db storage.DBTX) (Head, error) {
	h := Head{Hash: GenesisHash}
	err := db.QueryRow(ctx, `SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1`).Scan(&h.Seq, &h.Hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Head{}, fmt.Errorf("read the audit chain head: %w", err)
	}
	return h, nil
}

// eachEntry calls f with every entry in sequence order, read in one snapshot.
func eachEntry(ctx context.Context, db storage.DBTX, f func(Entry) error) error {
	rows, err := db.Query(ctx, `
		SELECT seq, id::text, at, actor_subject, actor_issuer, actor_email, actor_name, actor_groups,
			session_hash, source_ip, user_agent, action, cluster, group_name, topic, queues,
			request_id, reason, parameters, before, after, outcome, error, prev_hash, hash
		FROM audit_entry ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("read audit entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		var action, outcome string
		var params, before, after *string
		if err := rows.Scan(&e.Seq, &e.ID, &e.At, &e.Actor.Subject, &e.Actor.Issuer, &e.Actor.Email,
			&e.Actor.Name, &e.Actor.Groups, &e.Session, &e.SourceIP, &e.UserAgent, &action,
			&e.Target.Cluster, &e.Target.Group, &e.Target.Topic, &e.Target.Queues, &e.RequestID,
			&e.Reason, &params, &before, &after, &outcome, &e.Error, &e.PrevHash, &e.Hash); err != nil {
			return fmt.Errorf("read audit entries: %w", err)
		}
		e.Action, e.Outcome = Action(action), Outcome(outcome)
		e.Parameters, e.Before, e.After = raw(params), raw(before), raw(after)
		if err := f(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read audit entries: %w", err)
	}
	return nil
}

func check(e Entry) error {
	switch {
	case e.Action == "":
		return errors.New("audit entry: no action")
	case e.Actor.Subject == "":
		return fmt.Errorf("audit %s: no actor", e.Action)
	case e.Outcome != Success && e.Outcome != Failure && e.Outcome != Denied:
		return fmt.Errorf("audit %s: outcome %q is not success, failure or denied", e.Action, e.Outcome)
	}
	return nil
}

// NewID returns a random (version 4) UUID, the form of entry ids and of the ids of the
// things entries are about, such as reset requests.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func text(j []byte) *string {
	if j == nil {
		return nil
	}
	s := string(j)
	return &s
}

func raw(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}
