package http

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/errcode"
)

// methods are those an Allow header may list.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodTrace, http.MethodConnect}

// methodNotAllowed answers a method the path does not serve with 405 and the methods it
// does in Allow; a path no route serves is not found, whatever the method (chi answers an
// unknown method without looking at the path).
func (s *Server) methodNotAllowed(mux *chi.Mux) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		path := r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		if path == "" {
			path = "/"
		}
		var allow []string
		for _, m := range methods {
			if mux.Find(chi.NewRouteContext(), m, path) != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			return errNoPage(r)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return errcode.Errorf(errcode.NotAllowed, "%s is not allowed on %s; it answers %s.", r.Method, shown(r.URL.Path), strings.Join(allow, ", "))
	}
}

// errNoPage is the answer to a path no route serves.
func errNoPage(r *http.Request) error {
	return errcode.Errorf(errcode.NotFound, "There is no page at %s.", strings.ToValidUTF8(r.URL.Path, "\uFFFD"))
}
