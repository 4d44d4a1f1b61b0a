package http

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/errcode"
)

// Limits of what the edge accepts. Nothing typed into Lagboard comes near them: names are
// at most 255 characters, reasons and comments at most 2000.
const (
	maxFormBytes  = 1 << 20  // a request body read as a form
	maxValueBytes = 16 << 10 // one query parameter or form field, and its name
	maxParamBytes = 1 << 10  // one name in the path
)

// edge checks every text a request carries before the route's handler (or Postgres, which
// refuses invalid UTF-8 and NUL bytes in text) sees it: the names in the path, the query
// string and a form body. A name in the path that cannot exist is not found; a query or
// form that is malformed, not valid UTF-8, holds a NUL byte or is too long is refused with
// 400, naming the field. A form body is read once here, at most maxFormBytes of it, into
// r.Form and r.PostForm, where handlers find it (r.ParseForm does not read it again).
func (s *Server) edge(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := checkPathParams(r); err != nil {
			return err
		}
		if err := checkQuery(r.URL.RawQuery); err != nil {
			return err
		}
		if err := readForm(w, r); err != nil {
			return err
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// paramNames say what each route parameter names, for the not-found message.
var paramNames = map[string]string{"cluster": "cluster", "group": "consumer group", "id": "reset request"}

// checkPathParams refuses, as not found, a route parameter that no cluster, group or
// request can be named. chi matches the escaped path when it has escapes of its own (such
// as %2F), so a parameter is checked once unescaped.
func checkPathParams(r *http.Request) error {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil {
		return nil
	}
	for i, k := range rctx.URLParams.Keys {
		v := rctx.URLParams.Values[i]
		if r.URL.RawPath != "" {
			if u, err := url.PathUnescape(v); err == nil {
				v = u
			}
		}
		if p := textProblem(v, maxParamBytes); p != "" {
			what, ok := paramNames[k]
			if !ok {
				what = "page"
			}
			return errcode.Errorf(errcode.NotFound, "There is no %s %s: the name in the address %s.", what, shown(v), p)
		}
	}
	return nil
}

// checkQuery refuses a query string that cannot be read or carries text that cannot be.
func checkQuery(raw string) error {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return errcode.Errorf(errcode.Invalid, "The query string cannot be read: %s.", err)
	}
	return checkValues(v, "query parameter")
}

// readForm reads a form body of a POST, PUT or PATCH (the methods whose bodies
// r.ParseForm reads) into r.PostForm and checks it. Other bodies are left unread: no
// handler reads them.
func readForm(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return errcode.Errorf(errcode.Invalid, "The Content-Type of the request, %s, cannot be read.", shown(ct))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	switch mt {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		// Every part fits in memory, so nothing is written to temporary files.
		err = r.ParseMultipartForm(maxFormBytes)
	default:
		return nil
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errcode.Errorf(errcode.TooLarge, "The form is larger than %s; no form of Lagboard needs as much.", size(maxFormBytes))
	case err != nil:
		return errcode.Wrap(errcode.Invalid, err, "The form cannot be read: its body is not a well-formed "+mt+" form.")
	}
	return checkValues(r.PostForm, "form field")
}

// checkValues refuses the first name or value (in name order, so the answer is the same
// every time) that is not text Lagboard can store.
func checkValues(v url.Values, what string) error {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if p := textProblem(k, maxValueBytes); p != "" {
			return errcode.Errorf(errcode.Invalid, "The name of a %s, %s, %s.", what, shown(k), p)
		}
		for _, x := range v[k] {
			if p := textProblem(x, maxValueBytes); p != "" {
				return errcode.Errorf(errcode.Invalid, "The %s %s %s.", what, shown(k), p)
			}
		}
	}
	return nil
}

// textProblem says what makes s unfit to be stored as text, "" when nothing does.
func textProblem(s string, max int) string {
	switch {
	case len(s) > max:
		return "is longer than " + size(max)
	case !utf8.ValidString(s):
		return "is not valid UTF-8 text"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL byte"
	}
	return ""
}

// shown quotes what a client sent for a message: escaped, and cut short when long.
func shown(s string) string {
	const most = 64
	if len(s) <= most {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q…", s[:most])
}

func size(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
