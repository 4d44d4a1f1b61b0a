package mqadmin

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// faultServer is a TCP peer that speaks the frame format and injects faults: stalls, wrong
// opaques, truncated frames, error codes, requests of its own and closed connections. It
// implements no RocketMQ feature; the real-broker tests prove those.
type faultServer struct {
	t        *testing.T
	ln       net.Listener
	handle   func(fc *faultConn, req *Command)
	accepted atomic.Int32

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// faultConn is the server side of one accepted connection.
type faultConn struct {
	t   *testing.T
	nc  net.Conn
	br  *bufio.Reader
	n   int32 // 1 for the first accepted connection, 2 for the next...
	wmu sync.Mutex
}

// newFaultServer listens on 127.0.0.1 and calls handle for every frame the client sends, on
// the connection's reader goroutine. tlsConf, if not nil, makes it a TLS server.
func newFaultServer(t *testing.T, tlsConf *tls.Config, handle func(fc *faultConn, req *Command)) *faultServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	s := &faultServer{t: t, ln: ln, handle: handle}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *faultServer) addr() string { return s.ln.Addr().String() }

func (s *faultServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, nc)
		s.mu.Unlock()
		fc := &faultConn{t: s.t, nc: nc, br: bufio.NewReader(nc), n: s.accepted.Add(1)}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer nc.Close()
			for {
				req, err := fc.read()
				if err != nil {
					return
				}
				s.handle(fc, req)
			}
		}()
	}
}

func (s *faultServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (fc *faultConn) read() (*Command, error) { return ReadFrame(fc.br, 0) }

// send writes a command the way a Java server would frame it.
func (fc *faultConn) send(c *Command) {
	if c.Language == "" {
		c.Language = "JAVA"
	}
	b, err := EncodeFrame(c, 0)
	if err != nil {
		fc.t.Errorf("fault server encode: %v", err)
		return
	}
	fc.writeRaw(b)
}

func (fc *faultConn) writeRaw(b []byte) {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	if _, err := fc.nc.Write(b); err != nil && !errors.Is(err, net.ErrClosed) {
		fc.t.Logf("fault server write: %v", err)
	}
}

// reply answers req with a response code, remark, ext fields and body.
func (fc *faultConn) reply(req *Command, code int32, remark string, ext map[string]string, body []byte) {
	fc.send(&Command{Code: code, Version: 479, Opaque: req.Opaque, Flag: FlagResponse,
		Remark: remark, ExtFields: ext, Body: body})
}

// ok answers req with success, echoing its ext fields and body.
func (fc *faultConn) ok(req *Command) { fc.reply(req, 0, "", req.ExtFields, req.Body) }
