package http

// resetRoutes are the routes of the offset reset workflow.
func (s *Server) resetRoutes() []route { return nil }
