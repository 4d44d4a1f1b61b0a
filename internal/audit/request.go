package audit

import (
	"context"
	"net"
	"net/netip"
	"strings"
)

// Request is what the audit trail keeps of the HTTP request an action came in: the HTTP
// layer puts it in the context, the Recorder reads it.
type Request struct {
	// RemoteAddr is the connection's peer (http.Request.RemoteAddr).
	RemoteAddr string
	// ForwardedFor is the X-Forwarded-For header, trusted only from configured proxies.
	ForwardedFor string
	UserAgent    string
	RequestID    string
}

type requestKey struct{}

// WithRequest returns ctx carrying the request's audit details.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the audit details of the request ctx belongs to.
func RequestFrom(ctx context.Context) (Request, bool) {
	r, ok := ctx.Value(requestKey{}).(Request)
	return r, ok
}

// ClientIP returns the address of whoever sent the request. X-Forwarded-For is honoured
// only while the address it came from is a trusted proxy: starting from the connection's
// peer, each trusted hop is replaced by the address it says it forwarded for, right to
// left, and the first untrusted (or unparsable) hop is the client. Without trusted
// proxies the peer is the client, whatever the header says.
func ClientIP(remoteAddr, forwardedFor string, trusted []netip.Prefix) string {
	ip, ok := parseIP(remoteAddr)
	if !ok {
		return remoteAddr
	}
	hops := strings.Split(forwardedFor, ",")
	for i := len(hops) - 1; i >= 0 && isTrusted(ip, trusted); i-- {
		next, ok := parseIP(strings.TrimSpace(hops[i]))
		if !ok {
			break
		}
		ip = next
	}
	return ip.String()
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// parseIP reads an address with or without a port; IPv4-mapped IPv6 becomes IPv4.
func parseIP(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}
