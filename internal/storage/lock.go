package storage

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SessionLock elects one replica for a piece of work: a Postgres session-level advisory
// lock, held on a connection of its own outside the pool. The server releases it when that
// session ends, however it ends: the process closes it, dies (the kernel closes its socket),
// or stops using it and the server times it out (SessionLockOptions.IdleTimeout). Work that
// must stop the moment leadership is lost runs on Conn: a transaction there commits only
// while its session, and with it the lock, is alive. A SessionLock is used by one goroutine.
type SessionLock struct {
	name string
	key  int64
	cfg  *pgx.ConnConfig
	conn *pgx.Conn
	held bool
}

// SessionLockOptions configure a SessionLock.
type SessionLockOptions struct {
	// IdleTimeout, when set, has the server end the session once it has waited that long
	// for the holder, in a transaction or not, so that a holder that stopped (a paused
	// process, a network cut) loses the lock without anyone's help. The holder must use
	// the connection more often: Acquire does.
	IdleTimeout time.Duration
}

// ErrLockLost says the session that held a lock is gone, and the lock with it.
var ErrLockLost = errors.New("lock lost")

const (
	lockConnectTimeout = 10 * time.Second
	lockPingTimeout    = 5 * time.Second
)

// LockKey is the advisory lock key of a name. Replicas of every version must agree on it.
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// NewSessionLock returns the lock called name, to be taken on new connections made with
// cfg (copied). It shows in pg_stat_activity as the connection's application_name.
func NewSessionLock(cfg *pgx.ConnConfig, name string, o SessionLockOptions) *SessionLock {
	cfg = cfg.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "lagboard " + name
	if o.IdleTimeout > 0 {
		ms := strconv.FormatInt(max(o.IdleTimeout.Milliseconds(), 1), 10)
		cfg.RuntimeParams["idle_session_timeout"] = ms
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = ms
	}
	return &SessionLock{name: name, key: LockKey(name), cfg: cfg}
}

// Acquire reports whether this process holds the lock. Held already, it checks that the
// session is alive; if it is not, the lock is lost, and Acquire says so (ErrLockLost)
// rather than take it again in the same call: another replica may have held it meanwhile,
// and the caller must know. Not held, it connects when needed and waits up to wait for the
// lock (wait 0: tries once). A holder that dies or closes its session hands over to a
// waiter at once.
func (l *SessionLock) Acquire(ctx context.Context, wait time.Duration) (bool, error) {
	if l.held {
		pctx, cancel := context.WithTimeout(ctx, lockPingTimeout)
		err := l.conn.Ping(pctx)
		cancel()
		if err == nil {
			return true, nil
		}
		l.Close()
		return false, fmt.Errorf("%s: %w: %w", l.name, ErrLockLost, err)
	}
	if l.conn == nil || l.conn.IsClosed() {
		cctx, cancel := context.WithTimeout(ctx, lockConnectTimeout)
		conn, err := pgx.ConnectConfig(cctx, l.cfg)
		cancel()
		if err != nil {
			return false, fmt.Errorf("%s lock: connect: %w", l.name, pingCause(err))
		}
		l.conn = conn
	}
	var err error
	if wait <= 0 {
		err = l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&l.held)
	} else {
		// One simple-protocol query, so one implicit transaction: when the wait times out,
		// the SET is undone with it. A session-level lock outlives the transaction.
		_, err = l.conn.Exec(ctx, fmt.Sprintf(`SET lock_timeout = %d; SELECT pg_advisory_lock(%d); RESET lock_timeout`,
			max(wait.Milliseconds(), 1), l.key))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available: another holds it
			return false, nil
		}
		l.held = err == nil
	}
	if err != nil {
		l.Close()
		return false, fmt.Errorf("%s lock: %w", l.name, err)
	}
	return l.held, nil
}

// Held reports whether the lock was held when last acquired or checked.
func (l *SessionLock) Held() bool { return l.held }

// Conn is the session holding the lock; use it only while Held.
func (l *SessionLock) Conn() *pgx.Conn { return l.conn }

// Close ends the session, which releases the lock.
func (l *SessionLock) Close() {
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), lockPingTimeout)
		l.conn.Close(ctx) //nolint:errcheck // the session ends either way
		cancel()
	}
	l.conn, l.held = nil, false
}
