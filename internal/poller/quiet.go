package poller

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// A broker answers a running-info request by asking the client and waiting for it, up to
// ten seconds, on one of its admin threads (16 by default), which also answer every
// other admin request. A client that never answers (a 5.x SimpleConsumer behind the
// proxy, whose proxy forwards nothing) would hold a thread for those ten seconds at
// every ask; a few dozen such clients asked once a minute would keep the pool busy and
// the broker slow for every tool. So a client that did not answer in time is left alone
// for a while, longer each time it stays silent, and asked again after.
const (
	quietFirst = 2 * time.Minute
	quietMax   = 30 * time.Minute
)

// quietClient is a client left unasked after it did not answer in time.
type quietClient struct {
	until time.Time     // not asked before
	wait  time.Duration // how long it was left alone this time
	err   error         // how it last failed
}

// errQuiet is the report of a client left alone: it did not answer in time, this cycle
// (updateQuiet) or before (then fetchRunningInfo does not ask it), and is not asked until
// the time it names.
type errQuiet struct {
	q quietClient
}

func (e *errQuiet) Error() string {
	return "not asked until " + e.q.until.UTC().Format("15:04:05") + " UTC: " + e.q.err.Error()
}

// timedOut reports whether a running-info request failed because the client did not answer
// in time: the broker said so, or this side stopped waiting.
func timedOut(err error) bool {
	return errors.Is(err, mqadmin.ErrConsumeMsgTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// updateQuiet folds this cycle's running-info reports into the clients left alone: one
// that did not answer in time is left alone twice as long as the last time (quietFirst at
// first, at most quietMax), and its report says until when; one that answered, or failed
// otherwise, is asked as usual; one no longer online is forgotten.
func updateQuiet(g *groupData, gt *groupTrack, now time.Time) {
	if g.conn == nil || (len(gt.quiet) == 0 && len(g.running) == 0) {
		return // the common case, every cycle for most groups: nothing to do
	}
	for id := range gt.quiet {
		if !slices.ContainsFunc(g.conn.Connections, func(cn mqadmin.Connection) bool { return cn.ClientID == id }) {
			delete(gt.quiet, id)
		}
	}
	for id, rep := range g.running {
		var quiet *errQuiet
		switch {
		case errors.As(rep.err, &quiet):
			// Not asked: what was decided stands.
		case timedOut(rep.err):
			wait := quietFirst
			if prev, ok := gt.quiet[id]; ok {
				wait = min(prev.wait*2, quietMax)
			}
			if gt.quiet == nil {
				gt.quiet = map[string]quietClient{}
			}
			q := quietClient{until: now.Add(wait), wait: wait, err: rep.err}
			gt.quiet[id] = q
			g.running[id] = runningReport{err: &errQuiet{q}}
		default:
			delete(gt.quiet, id)
		}
	}
}
