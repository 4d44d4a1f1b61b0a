package mqadmin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// answerWriteTimeout bounds the write of an answer to a request the server sent us, so a
// peer that stops reading cannot stall our reader for long.
const answerWriteTimeout = 5 * time.Second

// conn is one TCP (or TLS) connection to a name server or broker. Requests are multiplexed
// over it by opaque; one reader goroutine dispatches every frame that arrives.
type conn struct {
	addr     string
	nc       net.Conn
	maxFrame int
	version  int32
	log      *slog.Logger

	wmu sync.Mutex // serialises frame writes

	mu      sync.Mutex
	pending map[int32]chan *Command
	err     error // why the connection closed; nil while open
	done    chan struct{}

	lastUsed atomic.Int64 // unix nanoseconds of the last frame sent or received
}

func newConn(nc net.Conn, addr string, maxFrame int, version int32, log *slog.Logger) *conn {
	c := &conn{
		addr:     addr,
		nc:       nc,
		maxFrame: maxFrame,
		version:  version,
		log:      log.With("addr", addr),
		pending:  make(map[int32]chan *Command),
		done:     make(chan struct{}),
	}
	c.touch()
	return c
}

func (c *conn) touch() { c.lastUsed.Store(time.Now().UnixNano()) }

// usable reports whether c is open and has not been idle for idle or longer. Servers close
// connections idle for 120 s; retiring ours first avoids racing such a close with a request.
func (c *conn) usable(idle time.Duration) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	return idle <= 0 || time.Since(time.Unix(0, c.lastUsed.Load())) < idle
}

// close closes the connection once, failing every pending call with err.
func (c *conn) close(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	c.pending = nil
	close(c.done)
	c.mu.Unlock()
	c.nc.Close()
}

func (c *conn) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// roundTrip sends req and waits for the response with the same opaque, until ctx ends or the
// connection breaks.
func (c *conn) roundTrip(ctx context.Context, req *Command) (*Command, error) {
	frame, err := EncodeFrame(req, c.maxFrame)
	if err != nil {
		return nil, err
	}
	ch := make(chan *Command, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	c.pending[req.Opaque] = ch
	c.mu.Unlock()
	defer c.forget(req.Opaque)

	deadline, _ := ctx.Deadline()
	if err := c.write(deadline, frame); err != nil {
		// A partly written frame would desynchronise the stream, so the connection goes.
		c.close(fmt.Errorf("write: %w", err))
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, context.DeadlineExceeded
		}
		return nil, fmt.Errorf("%w: write: %w", ErrConnectionLost, err)
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		select {
		case resp := <-ch:
			return resp, nil
		default:
		}
		return nil, fmt.Errorf("%w: %w", ErrConnectionLost, c.closeErr())
	}
}

func (c *conn) forget(opaque int32) {
	c.mu.Lock()
	delete(c.pending, opaque)
	c.mu.Unlock()
}

func (c *conn) write(deadline time.Time, frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.nc.SetWriteDeadline(deadline); err != nil {
		return err
	}
	if _, err := c.nc.Write(frame); err != nil {
		return err
	}
	c.touch()
	return nil
}

// readLoop reads frames until the connection fails or is closed, handing responses to their
// callers and answering requests the server sends us.
func (c *conn) readLoop() {
	br := bufio.NewReaderSize(c.nc, 32<<10)
	for {
		cmd, err := ReadFrame(br, c.maxFrame)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("closed by peer: %w", err)
			}
			c.close(fmt.Errorf("read: %w", err))
			if c.closeErr() != ErrClientClosed {
				c.log.Debug("mqadmin connection closed", "err", err)
			}
			return
		}
		c.touch()
		if !cmd.IsResponse() {
			c.answer(cmd)
			continue
		}
		c.mu.Lock()
		ch, ok := c.pending[cmd.Opaque]
		if ok {
			delete(c.pending, cmd.Opaque)
		}
		c.mu.Unlock()
		if !ok {
			// The caller gave up (deadline) or the server echoed a wrong opaque.
			c.log.Debug("mqadmin response with no pending request dropped",
				"opaque", cmd.Opaque, "code", cmd.Code)
			continue
		}
		ch <- cmd // buffered, and only this goroutine sends on it
	}
}

// answer replies to a request the server sent us. An admin client serves no request codes:
// it says so, as a RocketMQ client would, unless the request is oneway.
func (c *conn) answer(req *Command) {
	c.log.Debug("mqadmin request from server", "code", req.Code, "oneway", req.IsOneway())
	if req.IsOneway() {
		return
	}
	resp := &Command{
		Code:     codeRequestNotSupported,
		Language: defaultLanguage,
		Version:  c.version,
		Opaque:   req.Opaque,
		Flag:     FlagResponse,
		Remark:   "request type " + strconv.Itoa(int(req.Code)) + " not supported",
	}
	frame, err := EncodeFrame(resp, c.maxFrame)
	if err == nil {
		err = c.write(time.Now().Add(answerWriteTimeout), frame)
	}
	if err != nil {
		c.close(fmt.Errorf("answer request %d: %w", req.Code, err))
	}
}
