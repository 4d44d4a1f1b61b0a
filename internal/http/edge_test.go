package http

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/freeze"
	"github.com/lagboard/lagboard/internal/reset"
)

// newEdgeEnv is the dashboard with every route live: the reset workflow runs (on no
// cluster, so no broker is needed), change-freeze windows are kept and /metrics answers.
func newEdgeEnv(t testing.TB) *testEnv {
	t.Helper()
	return newEnv(t, envOptions{deps: func(env *testEnv, d *Deps) {
		d.Freezes = freeze.New(env.pool, nil)
		d.Resets = reset.New(reset.Options{Pool: env.pool, Logger: env.logger, Freezes: d.Freezes})
		d.Trail = env.trail
		d.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "lagboard_up 1\n") })
	}})
}

// send makes a request with a raw body, as a client that is not a browser can.
func send(t testing.TB, c *http.Client, method, target, contentType string, body []byte, header http.Header) page {
	t.Helper()
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %.200s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(b), doc: doc}
}

// rawHead sends HEAD on a connection of its own and returns the status and whatever
// follows the headers: the client library would not read a body after HEAD even if one
// came, so the bytes on the wire are what tells.
func rawHead(t *testing.T, env *testEnv, c *http.Client, path string) (status string, body []byte) {
	t.Helper()
	u, _ := url.Parse(env.URL)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var cookies []string
	for _, ck := range c.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	req := "HEAD " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n"
	if len(cookies) > 0 {
		req += "Cookie: " + strings.Join(cookies, "; ") + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("HEAD %s: no end of headers in %q", path, b)
	}
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 2 {
		t.Fatalf("HEAD %s: status line %q", path, line)
	}
	return fields[1], rest
}

// hostile is a request part no handler may see: where it goes, what it is, and the field
// the refusal must name.
type hostile struct {
	name, query, field string
}

var (
	long = strings.Repeat("x", 100<<10)
	// hostileQueries each make a query string the edge refuses with 400.
	hostileQueries = []hostile{
		{"invalid UTF-8", "q=%FF", `query parameter "q"`},
		{"NUL", "topic=a%00b", `query parameter "topic"`},
		{"invalid UTF-8 name", "%C3%28=1", `"\xc3("`},
		{"NUL in a name", "a%00=1", `"a\x00"`},
		{"100 kB value", "cluster=" + long, `query parameter "cluster"`},
		{"malformed escape", "q=%zz", "query string cannot be read"},
		{"semicolon", "q=a;b", "query string cannot be read"},
	}
	// hostileForms each make a urlencoded body the edge refuses with 400.
	hostileForms = []hostile{
		{"invalid UTF-8", "reason=%FF", `form field "reason"`},
		{"NUL", "comment=a%00b", `form field "comment"`},
		{"invalid UTF-8 name", "%FF=1", `"\xff"`},
		{"100 kB value", "ticket=" + long, `form field "ticket"`},
		{"malformed escape", "reason=%zz", "form cannot be read"},
	}
	// hostileParams are names in the path that cannot exist.
	hostileParams = []string{"%FF", "a%00b", "%ED%A0%80", long}
	// unservedMethods are tried on every path; CONNECT and TRACE included, and one chi
	// does not know.
	everyMethod = append(slices.Clone(methods), "PROPFIND")
)

// patternMatches reports whether a chi pattern matches a path: {name} matches one segment
// and a final * the rest.
func patternMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		switch {
		case p == "*" && i == len(ps)-1:
			return len(xs) >= i
		case i >= len(xs):
			return false
		case strings.HasPrefix(p, "{"):
			if xs[i] == "" {
				return false
			}
		case p != xs[i]:
			return false
		}
	}
	return len(ps) == len(xs)
}

// multipartBody is a multipart form with one field.
func multipartBody(t *testing.T, field, value string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField(field, value); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), b.Bytes()
}

// errorText is what an error answer says: the page's message, or an htmx answer's text.
func errorText(p page) string {
	if strings.HasPrefix(p.header.Get("Content-Type"), "text/plain") {
		return p.body
	}
	if p.header.Get("Content-Type") == "application/json" {
		var e apiError
		json.Unmarshal([]byte(p.body), &e) //nolint:errcheck // not JSON: no text
		return e.Error.Message
	}
	return p.doc.Find(`[data-testid="error"] p`).First().Text()
}

// TestEdgeOfEveryRoute walks the router's own table, so that a new route is covered
// without editing it, and sends every route, as a signed-in admin and anonymously, what a
// hostile client sends: invalid UTF-8, NUL bytes and 100 kB values in the query string,
// the form body (urlencoded and multipart) and the path's names, every method, and HEAD.
// Nothing may answer 5xx; the edge refuses the text before the route's permission is even
// checked (400, or 404 for a name in the path), naming the field; a method the path does
// not serve gets 405 with Allow; HEAD gets what GET gets without a body; and every page
// that depends on who asks is no-store.
func TestEdgeOfEveryRoute(t *testing.T) {
	env := newEdgeEnv(t)
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	admin := env.signIn(t, "admin")
	admin.CheckRedirect = noFollow
	users := []struct {
		name string
		c    *http.Client
	}{{"admin", admin}, {"anonymous", newClient(t, false)}}

	routes := env.server.routes()
	// served lists the methods of every route whose pattern matches path (/resets/preview
	// is also the page of a request with id "preview"), HEAD wherever GET is, in the
	// order of an Allow header.
	served := func(path string) []string {
		var ms []string
		for _, rt := range routes {
			if patternMatches(rt.pattern, path) {
				ms = append(ms, rt.method)
				if rt.method == http.MethodGet {
					ms = append(ms, http.MethodHead)
				}
			}
		}
		var out []string
		for _, m := range methods {
			if slices.Contains(ms, m) {
				out = append(out, m)
			}
		}
		return out
	}
	noServerError := func(t *testing.T, what string, p page) {
		t.Helper()
		if p.status >= 500 {
			t.Errorf("%s: %d: %.300s", what, p.status, p.body)
		}
	}
	refused := func(t *testing.T, what string, p page, status int, field string) {
		t.Helper()
		noServerError(t, what, p)
		if p.status != status || !strings.Contains(errorText(p), field) {
			t.Errorf("%s: %d %q, want %d naming %s", what, p.status, errorText(p), status, field)
		}
	}

	for _, rt := range routes {
		path := concretePath(rt.pattern)
		t.Run(rt.method+" "+rt.pattern, func(t *testing.T) {
			for _, u := range users {
				allow := served(path)
				for _, m := range everyMethod {
					if slices.Contains(allow, m) {
						continue
					}
					p := send(t, u.c, m, env.URL+path, "", nil, nil)
					if want := strings.Join(allow, ", "); p.status != http.StatusMethodNotAllowed || p.header.Get("Allow") != want {
						t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", u.name, m, p.status, p.header.Get("Allow"), want)
					}
				}
				if rt.method == http.MethodGet {
					get := send(t, u.c, http.MethodGet, env.URL+path, "", nil, nil)
					noServerError(t, u.name+" GET", get)
					status, body := rawHead(t, env, u.c, path)
					if status != strconv.Itoa(get.status) {
						t.Errorf("%s HEAD: %s, GET got %d", u.name, status, get.status)
					}
					if len(body) != 0 {
						t.Errorf("%s HEAD: %d bytes of body", u.name, len(body))
					}
					if u.name == "admin" && rt.perm != auth.Public && !slices.Contains(get.header.Values("Cache-Control"), "no-store") {
						t.Errorf("admin GET %s: Cache-Control %q, want no-store", path, get.header.Values("Cache-Control"))
					}
				}
				for _, h := range hostileQueries {
					p := send(t, u.c, rt.method, env.URL+path+"?"+h.query, "", nil, nil)
					refused(t, u.name+" query "+h.name, p, http.StatusBadRequest, h.field)
				}
				hx := http.Header{"Hx-Request": {"true"}}
				p := send(t, u.c, rt.method, env.URL+path+"?q=%FF", "", nil, hx)
				want := "text/plain" // the API answers JSON, whoever asks
				if strings.HasPrefix(rt.pattern, apiPrefix) {
					want = "application/json"
				}
				if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, want) || len(p.body) > 200 {
					t.Errorf("%s htmx refusal: %s, %d bytes", u.name, ct, len(p.body))
				}
				refused(t, u.name+" htmx query", p, http.StatusBadRequest, `query parameter "q"`)
				if rt.method == http.MethodPost {
					for _, h := range hostileForms {
						p := send(t, u.c, rt.method, env.URL+path, "application/x-www-form-urlencoded", []byte(h.query), nil)
						refused(t, u.name+" form "+h.name, p, http.StatusBadRequest, h.field)
					}
					for _, v := range []string{"\xff", "a\x00b", long} {
						ct, body := multipartBody(t, "reason", v)
						p := send(t, u.c, rt.method, env.URL+path, ct, body, nil)
						refused(t, u.name+" multipart", p, http.StatusBadRequest, `form field "reason"`)
					}
					p := send(t, u.c, rt.method, env.URL+path, "multipart/form-data; boundary=x", []byte("--x\r\nnot a part"), nil)
					refused(t, u.name+" broken multipart", p, http.StatusBadRequest, "form cannot be read")
					p = send(t, u.c, rt.method, env.URL+path, "application/x-www-form-urlencoded", bytes.Repeat([]byte("a=b&"), maxFormBytes/4+1), nil)
					refused(t, u.name+" form over the limit", p, http.StatusRequestEntityTooLarge, "larger than 1 MiB")
				}
				for _, m := range routeParam.FindAllStringSubmatch(rt.pattern, -1) {
					for _, bad := range hostileParams {
						target := strings.Replace(rt.pattern, m[0], bad, 1)
						p := send(t, u.c, rt.method, env.URL+concretePath(target), "", nil, nil)
						refused(t, u.name+" path "+m[1]+" "+bad[:min(len(bad), 9)], p, http.StatusNotFound, "the name in the address")
					}
				}
			}
		})
	}

	t.Run("hashed assets keep their long cache", func(t *testing.T) {
		p := send(t, admin, http.MethodGet, env.URL+env.server.deps.Assets.Path("css/lagboard.css"), "", nil, nil)
		if p.status != http.StatusOK || p.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("asset: %d Cache-Control %q", p.status, p.header.Get("Cache-Control"))
		}
	})
	t.Run("a path no route serves", func(t *testing.T) {
		for _, m := range everyMethod {
			if p := send(t, admin, m, env.URL+"/nowhere/%FF", "", nil, nil); p.status != http.StatusNotFound {
				t.Errorf("%s /nowhere: %d", m, p.status)
			}
		}
	})
	if p := send(t, admin, http.MethodGet, env.URL+"/", "", nil, nil); p.status != http.StatusOK {
		t.Fatalf("the admin was signed out by the walk: / answers %d", p.status)
	}
}
