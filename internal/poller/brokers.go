package poller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// brokerPool limits the requests in flight to one broker and remembers, for the rest of a
// cycle, that the broker did not answer. A hung broker then costs one timeout per cycle
// instead of one per group, and fills only its own slots, never the other brokers'.
type brokerPool struct {
	name, addr string
	sem        chan struct{}
	timeout    time.Duration

	mu   sync.Mutex
	down error
}

func newBrokerPool(name, addr string, concurrency int, timeout time.Duration) *brokerPool {
	return &brokerPool{name: name, addr: addr, sem: make(chan struct{}, concurrency), timeout: timeout}
}

// do runs f with a per-call deadline once a slot is free. A transport failure (no answer,
// as opposed to an error answer) marks the broker down for the cycle.
func (b *brokerPool) do(ctx context.Context, f func(ctx context.Context) error) error {
	return b.run(ctx, f, true)
}

// doAside runs a request for a figure the cycle can go without (pop statistics): no
// answer leaves that figure unknown and does not mark the broker down, so one slow answer
// does not make every group on the broker stale. A broker already marked down is not asked.
func (b *brokerPool) doAside(ctx context.Context, f func(ctx context.Context) error) error {
	return b.run(ctx, f, false)
}

// doForClient runs a request the broker forwards to a consumer client (running info): its
// failure is the client's, and never marks the broker down. A client that takes long to
// answer costs one slot for one call timeout.
func (b *brokerPool) doForClient(ctx context.Context, f func(ctx context.Context) error) error {
	return b.run(ctx, f, false)
}

// doLong is do for a request whose answer grows with the broker (every group at once): it
// is bounded by ctx's deadline rather than by one request's timeout.
func (b *brokerPool) doLong(ctx context.Context, f func(ctx context.Context) error) error {
	return b.runFor(ctx, f, true, 0)
}

func (b *brokerPool) run(ctx context.Context, f func(ctx context.Context) error, blame bool) error {
	return b.runFor(ctx, f, blame, b.timeout)
}

// runFor runs f once a slot is free, within timeout (ctx's own deadline when 0).
func (b *brokerPool) runFor(ctx context.Context, f func(ctx context.Context) error, blame bool, timeout time.Duration) error {
	if err := b.failure(); err != nil {
		return err
	}
	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("broker %s (%s): %w", b.name, b.addr, context.Cause(ctx))
	}
	defer func() { <-b.sem }()
	if err := b.failure(); err != nil {
		return err
	}
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	err := f(cctx)
	if err != nil && blame && !answered(err) {
		b.mu.Lock()
		if b.down == nil {
			b.down = fmt.Errorf("broker %s (%s) did not answer: %w", b.name, b.addr, err)
		}
		b.mu.Unlock()
	}
	return err
}

func (b *brokerPool) failure() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.down
}

// answered reports whether err is a reply from the broker rather than a failure to get one:
// an error code, or a body that is missing or cannot be read.
func answered(err error) bool {
	var be *mqadmin.BrokerError
	return errors.As(err, &be) || errors.Is(err, mqadmin.ErrEmptyBody) || errors.Is(err, mqadmin.ErrBadJSON)
}
