package mqadmin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultPoolSize    = 2
	DefaultIdleTimeout = 90 * time.Second
)

// Options configures a Client. The zero value is usable.
type Options struct {
	// Timeout bounds a call whose ctx has no deadline. Default DefaultTimeout.
	Timeout time.Duration
	// TLS, when not nil, wraps every connection in TLS with this configuration. ServerName
	// defaults to the host of the address dialled.
	TLS *tls.Config
	// Credentials, when AccessKey is set, signs every request (RocketMQ ACL / auth).
	Credentials Credentials
	// PoolSize is the number of connections kept per address. Default DefaultPoolSize.
	PoolSize int
	// MaxFrameSize is the largest frame sent or accepted. Default DefaultMaxFrameSize.
	MaxFrameSize int
	// Logger receives debug events (reconnects, dropped frames). Default: discard.
	Logger *slog.Logger
	// ClientVersion is the version ordinal sent in request headers. Default 479 (5.3.3).
	ClientVersion int32
	// IdleTimeout retires a connection unused for this long before it is reused; brokers
	// close connections idle for 120 s. Default DefaultIdleTimeout; negative disables.
	IdleTimeout time.Duration
}

// Credentials are an access key and secret for RocketMQ ACL 1.0 (4.x) or 5.3 authentication
// (username and password).
type Credentials struct {
	AccessKey     string
	SecretKey     string
	SecurityToken string
}

// Client is a RocketMQ admin client. It keeps a small pool of connections per address and
// multiplexes concurrent calls over them. It is safe for concurrent use; Close releases it.
type Client struct {
	opts   Options
	opaque atomic.Int32

	mu     sync.Mutex
	closed bool
	pools  map[string][]*slot
	next   map[string]int
	conns  map[*conn]struct{}
	wg     sync.WaitGroup // one per reader goroutine
}

// slot holds at most one connection; sem serialises dialling it.
type slot struct {
	sem chan struct{}
	c   *conn
}

// New returns a Client configured by opts. It dials nothing until the first call.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = DefaultPoolSize
	}
	if opts.MaxFrameSize <= 0 {
		opts.MaxFrameSize = DefaultMaxFrameSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ClientVersion == 0 {
		opts.ClientVersion = defaultClientVersion
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	return &Client{
		opts:  opts,
		pools: make(map[string][]*slot),
		next:  make(map[string]int),
		conns: make(map[*conn]struct{}),
	}
}

// Close closes every connection, fails pending calls with ErrClientClosed and waits for the
// client's goroutines to stop. Later calls fail with ErrClientClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conns := make([]*conn, 0, len(c.conns))
	for cn := range c.conns {
		conns = append(conns, cn)
	}
	c.mu.Unlock()
	for _, cn := range conns {
		cn.close(ErrClientClosed)
	}
	c.wg.Wait()
	return nil
}

// call sends a request and returns the successful response. args names the request's
// arguments for errors, e.g. "group=g". A non-zero response code becomes a *BrokerError.
func (c *Client) call(ctx context.Context, addr string, code int32, args string, ext map[string]string, body []byte) (*Command, error) {
	resp, err := c.exchange(ctx, addr, code, args, ext, body)
	if err != nil {
		return nil, err
	}
	if resp.Code != codeSuccess {
		return nil, brokerError(addr, code, args, resp)
	}
	return resp, nil
}

func brokerError(addr string, code int32, args string, resp *Command) *BrokerError {
	return &BrokerError{Addr: addr, RequestCode: code, Request: requestName(code, args), Code: resp.Code, Remark: resp.Remark}
}

func requestName(code int32, args string) string {
	if args != "" {
		return codeName(code) + " " + args
	}
	return codeName(code)
}

// exchange sends a request and returns the response whatever its code, for requests whose
// non-zero codes are answers to read (a pull finding nothing).
func (c *Client) exchange(ctx context.Context, addr string, code int32, args string, ext map[string]string, body []byte) (*Command, error) {
	name := requestName(code, args)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	if c.opts.Credentials.AccessKey != "" {
		ext = signExtFields(ext, body, c.opts.Credentials)
	}
	resp, err := c.roundTrip(ctx, addr, code, ext, body)
	if err != nil {
		return nil, fmt.Errorf("mqadmin: %s at %s: %w", name, addr, err)
	}
	return resp, nil
}

// roundTrip runs one request. A request that fails because a reused connection turned out to
// be dead (say the server closed it while idle) is retried once on a new connection; every
// request this package sends is idempotent.
func (c *Client) roundTrip(ctx context.Context, addr string, code int32, ext map[string]string, body []byte) (*Command, error) {
	for attempt := 0; ; attempt++ {
		cn, fresh, err := c.conn(ctx, addr)
		if err != nil {
			return nil, err
		}
		req := &Command{
			Code:      code,
			Language:  defaultLanguage,
			Version:   c.opts.ClientVersion,
			Opaque:    c.opaque.Add(1),
			ExtFields: ext,
			Body:      body,
		}
		resp, err := cn.roundTrip(ctx, req)
		if err == nil {
			return resp, nil
		}
		if attempt == 0 && !fresh && errors.Is(err, ErrConnectionLost) &&
			!errors.Is(err, ErrClientClosed) && ctx.Err() == nil {
			c.opts.Logger.Debug("mqadmin retrying on a new connection", "addr", addr, "err", err)
			continue
		}
		return nil, err
	}
}

// conn returns a usable connection to addr, dialling one if its slot is empty, broken or
// idle. fresh reports that it was dialled for this call.
func (c *Client) conn(ctx context.Context, addr string) (cn *conn, fresh bool, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false, ErrClientClosed
	}
	slots := c.pools[addr]
	if slots == nil {
		slots = make([]*slot, c.opts.PoolSize)
		for i := range slots {
			slots[i] = &slot{sem: make(chan struct{}, 1)}
		}
		c.pools[addr] = slots
	}
	s := slots[c.next[addr]%len(slots)]
	c.next[addr]++
	c.mu.Unlock()

	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	defer func() { <-s.sem }()
	if s.c != nil && s.c.usable(c.opts.IdleTimeout) {
		return s.c, false, nil
	}
	if s.c != nil {
		s.c.close(errors.New("retired after idling"))
		s.c = nil
	}
	cn, err = c.dial(ctx, addr)
	if err != nil {
		return nil, false, err
	}
	s.c = cn
	return cn, true, nil
}

func (c *Client) dial(ctx context.Context, addr string) (*conn, error) {
	d := net.Dialer{KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if c.opts.TLS != nil {
		cfg := c.opts.TLS.Clone()
		if cfg.ServerName == "" {
			if host, _, err := net.SplitHostPort(addr); err == nil {
				cfg.ServerName = host
			}
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		nc = tc
	}
	cn := newConn(nc, addr, c.opts.MaxFrameSize, c.opts.ClientVersion, c.opts.Logger)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		nc.Close()
		return nil, ErrClientClosed
	}
	c.conns[cn] = struct{}{}
	c.wg.Add(1)
	c.mu.Unlock()
	c.opts.Logger.Debug("mqadmin connected", "addr", addr)
	go func() {
		defer c.wg.Done()
		cn.readLoop()
		c.mu.Lock()
		delete(c.conns, cn)
		c.mu.Unlock()
	}()
	return cn, nil
}
