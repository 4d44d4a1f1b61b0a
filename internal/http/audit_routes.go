package http

// auditRoutes are the auditors' routes: the trail, its reports and exports.
func (s *Server) auditRoutes() []route { return nil }
