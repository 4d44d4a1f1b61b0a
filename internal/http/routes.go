package http

import "net/http"

// route is one entry of the routing table.
type route struct {
	method  string
	pattern string
	handler http.Handler
}

// routes is every route the server answers, in one place.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/healthz", http.HandlerFunc(s.healthz)},
		{http.MethodGet, "/readyz", http.HandlerFunc(s.readyz)},
		{http.MethodGet, "/static/*", s.deps.Assets},
		{http.MethodGet, "/", s.handle(s.overview)},
	}
}
