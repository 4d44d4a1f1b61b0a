package auth

import (
	"net/url"
	"strings"
	"unicode"
)

// SafeReturnTo returns raw if it is a path on this server to come back to after sign-in,
// and "/" otherwise: no scheme, no host, no "//" or "\" that browsers would read as another
// host, no control characters, and not the sign-in routes themselves.
func SafeReturnTo(raw string) string {
	const home = "/"
	if raw == "" || len(raw) > 2048 || !strings.HasPrefix(raw, "/") ||
		strings.HasPrefix(raw, "//") || strings.ContainsRune(raw, '\\') ||
		strings.IndexFunc(raw, unicode.IsControl) >= 0 || strings.IndexFunc(raw, unicode.IsSpace) >= 0 {
		return home
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	// A path that decodes to "//host" is still a path here, but some proxies decode it.
	if p, err := url.PathUnescape(u.EscapedPath()); err != nil || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') {
		return home
	}
	if u.Path == "/auth" || strings.HasPrefix(u.Path, "/auth/") {
		return home
	}
	return raw
}
