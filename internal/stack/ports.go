package stack

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreePortSpan returns a port p such that every port from p-below to p+above is free on
// 127.0.0.1. A RocketMQ broker needs this: it opens listenPort, listenPort-2 and listenPort+1.
// The ports are taken below the kernel's range of ephemeral ports, so that no outgoing
// connection of this machine can take one between this check and the server's bind.
func FreePortSpan(below, above int) (int, error) {
	top := ephemeralStart() - above
	for range 200 {
		p := 20000 + below + rand.IntN(top-20000-below)
		if spanFree(p-below, p+above) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free port span of %d on 127.0.0.1", below+above+1)
}

func spanFree(from, to int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for p := from; p <= to; p++ {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}

// ephemeralStart is the first port the kernel hands out to outgoing connections.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 21000 {
				return n
			}
		}
	}
	return 32768
}
