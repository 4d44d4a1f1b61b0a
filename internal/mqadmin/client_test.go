package mqadmin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Transport tests against the fault server: deadlines, ordering, reconnects and closing.

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newTestClient(t *testing.T, opts Options) *Client {
	t.Helper()
	c := New(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCallStallPastDeadline(t *testing.T) {
	late := make(chan *Command, 1)
	var fc1 *faultConn
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		if req.ExtFields["n"] == "stall" {
			fc1 = fc
			late <- req
			return
		}
		// Answer the stalled request late, with its opaque, right before this one.
		select {
		case old := <-late:
			fc1.reply(old, 0, "", map[string]string{"n": "late"}, nil)
		default:
		}
		fc.ok(req)
	})
	c := newTestClient(t, Options{PoolSize: 1})
	start := time.Now()
	_, err := c.call(ctxTimeout(t, 150*time.Millisecond), srv.addr(), 106, "", map[string]string{"n": "stall"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("call took %v after a 150ms deadline", d)
	}
	if !strings.Contains(err.Error(), "GET_BROKER_CLUSTER_INFO at "+srv.addr()) {
		t.Fatalf("error lacks context: %v", err)
	}
	resp, err := c.call(ctxTimeout(t, 2*time.Second), srv.addr(), 106, "", map[string]string{"n": "next"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ExtFields["n"] != "next" {
		t.Fatalf("got response %v, meant for the stalled call", resp.ExtFields)
	}
}

func TestDefaultTimeout(t *testing.T) {
	srv := newFaultServer(t, nil, func(*faultConn, *Command) {})
	c := newTestClient(t, Options{Timeout: 100 * time.Millisecond})
	_, err := c.call(context.Background(), srv.addr(), 106, "", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want DeadlineExceeded", err)
	}
}

func TestWrongOpaqueIgnored(t *testing.T) {
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		wrong := *req
		wrong.Opaque += 1000
		fc.ok(&wrong)
	})
	c := newTestClient(t, Options{})
	_, err := c.call(ctxTimeout(t, 150*time.Millisecond), srv.addr(), 106, "", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want DeadlineExceeded", err)
	}
}

func TestTruncatedFrameThenReconnect(t *testing.T) {
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		if fc.n == 1 {
			b, _ := EncodeFrame(&Command{Opaque: req.Opaque, Flag: FlagResponse, Body: []byte("0123456789")}, 0)
			fc.writeRaw(b[:len(b)-4])
			fc.nc.Close()
			return
		}
		fc.ok(req)
	})
	c := newTestClient(t, Options{PoolSize: 1})
	_, err := c.call(ctxTimeout(t, 2*time.Second), srv.addr(), 106, "", nil, nil)
	if !errors.Is(err, ErrConnectionLost) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v, want ErrConnectionLost wrapping io.ErrUnexpectedEOF", err)
	}
	if _, err := c.call(ctxTimeout(t, 2*time.Second), srv.addr(), 106, "", nil, nil); err != nil {
		t.Fatalf("after reconnect: %v", err)
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

func TestOversizedResponse(t *testing.T) {
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		fc.reply(req, 0, "", nil, make([]byte, 4096))
	})
	c := newTestClient(t, Options{MaxFrameSize: 1024})
	_, err := c.call(ctxTimeout(t, 2*time.Second), srv.addr(), 106, "", nil, nil)
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err %v, want ErrFrameTooLarge", err)
	}
}

func TestOutOfOrderResponses(t *testing.T) {
	const n = 16
	var mu sync.Mutex
	var held []*Command
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		mu.Lock()
		held = append(held, req)
		all := len(held) == n
		mu.Unlock()
		if !all {
			return
		}
		for i := n - 1; i >= 0; i-- { // answer in reverse order of arrival
			fc.ok(held[i])
		}
	})
	c := newTestClient(t, Options{PoolSize: 1})
	ctx := ctxTimeout(t, 5*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			want := strconv.Itoa(i)
			resp, err := c.call(ctx, srv.addr(), 208, "", map[string]string{"i": want}, []byte(want))
			switch {
			case err != nil:
				errs <- err
			case resp.ExtFields["i"] != want || string(resp.Body) != want:
				errs <- fmt.Errorf("call %s got response %v %q", want, resp.ExtFields, resp.Body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConcurrentCallsRaceClean(t *testing.T) {
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) { go fc.ok(req) })
	c := newTestClient(t, Options{PoolSize: 2})
	ctx := ctxTimeout(t, 20*time.Second)
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Go(func() {
			for i := range 25 {
				v := fmt.Sprintf("%d-%d", g, i)
				resp, err := c.call(ctx, srv.addr(), 30, "", map[string]string{"v": v}, nil)
				if err != nil || resp.ExtFields["v"] != v {
					t.Errorf("call %s: %v %v", v, resp, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := srv.accepted.Load(); n > 2 {
		t.Fatalf("%d connections for a pool of 2", n)
	}
}

func TestServerInitiatedRequests(t *testing.T) {
	answers := make(chan *Command, 4)
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		if req.IsResponse() {
			answers <- req
			return
		}
		// Before answering, push a oneway notification and a request of our own.
		fc.send(&Command{Code: 40, Opaque: 500, Flag: FlagOneway})
		fc.send(&Command{Code: 307, Opaque: 501, ExtFields: map[string]string{"consumerGroup": "g"}})
		fc.ok(req)
	})
	c := newTestClient(t, Options{})
	if _, err := c.call(ctxTimeout(t, 2*time.Second), srv.addr(), 106, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-answers:
		if a.Opaque != 501 || a.Code != 3 || !a.IsResponse() || !strings.Contains(a.Remark, "request type 307 not supported") {
			t.Fatalf("answer %+v", a)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no answer to the server's request")
	}
	select {
	case a := <-answers:
		t.Fatalf("unexpected second answer (to the oneway request?): %+v", a)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestReconnectAfterIdleClose(t *testing.T) {
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		fc.ok(req)
		if req.ExtFields["close"] == "after" {
			fc.nc.Close() // a broker closing an idle channel
		}
	})
	c := newTestClient(t, Options{PoolSize: 1})
	ctx := ctxTimeout(t, 5*time.Second)
	if _, err := c.call(ctx, srv.addr(), 106, "", map[string]string{"close": "after"}, nil); err != nil {
		t.Fatal(err)
	}
	// The second call reconnects whether or not the client has seen the close yet: a call
	// on a connection that turns out dead is retried on a new one.
	if _, err := c.call(ctx, srv.addr(), 106, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

func TestRetryWhenReusedConnectionDies(t *testing.T) {
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		if fc.n == 1 && req.ExtFields["step"] == "2" {
			fc.nc.Close() // closed just as the request arrived
			return
		}
		fc.ok(req)
	})
	c := newTestClient(t, Options{PoolSize: 1})
	ctx := ctxTimeout(t, 5*time.Second)
	for _, step := range []string{"1", "2"} {
		if _, err := c.call(ctx, srv.addr(), 30, "", map[string]string{"step": step}, nil); err != nil {
			t.Fatalf("step %s: %v", step, err)
		}
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

func TestIdleConnectionRetired(t *testing.T) {
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) { fc.ok(req) })
	c := newTestClient(t, Options{PoolSize: 1, IdleTimeout: 30 * time.Millisecond})
	ctx := ctxTimeout(t, 5*time.Second)
	for range 2 {
		if _, err := c.call(ctx, srv.addr(), 30, "", nil, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Millisecond)
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (the idle one retired)", n)
	}
}

func TestCloseFailsPendingCalls(t *testing.T) {
	got := make(chan struct{}, 1)
	srv := newFaultServer(t, nil, func(*faultConn, *Command) { got <- struct{}{} })
	c := New(Options{})
	errc := make(chan error, 1)
	go func() {
		_, err := c.call(context.Background(), srv.addr(), 208, "group=g", nil, nil)
		errc <- err
	}()
	<-got
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClientClosed) {
			t.Fatalf("pending call: %v, want ErrClientClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("pending call not failed by Close")
	}
	if _, err := c.call(context.Background(), srv.addr(), 208, "", nil, nil); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("call after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestDialFailure(t *testing.T) {
	srv := newFaultServer(t, nil, func(*faultConn, *Command) {})
	addr := srv.addr()
	srv.close()
	c := newTestClient(t, Options{})
	_, err := c.ClusterInfo(ctxTimeout(t, 2*time.Second), addr)
	if err == nil || !strings.Contains(err.Error(), "GET_BROKER_CLUSTER_INFO at "+addr+": dial") {
		t.Fatalf("err %v", err)
	}
}
