// Package auth signs people in with OpenID Connect, keeps their sessions in Postgres and
// decides what they may do: roles (viewer, operator, approver, auditor, admin) granted by
// claim values of the sign-in, each grant scoped by cluster and consumer-group patterns,
// explicit deny rules that win over grants, and nothing at all for a user no grant matches.
//
// Every route of internal/http declares one Permission; the HTTP layer asks Decide before
// it runs the handler and hands refusals to a DenialRecorder.
package auth

import (
	"slices"
	"strings"
)

// Permission is what a route needs: an action on a resource, such as "reset:request".
// Public and SignedIn are the two that need no grant.
type Permission string

// Route access levels that are not granted by roles.
const (
	// Public routes need no sign-in: health checks, static files, the sign-in flow.
	Public Permission = "public"
	// SignedIn routes need a session but no particular role, such as signing out everywhere.
	SignedIn Permission = "signed-in"
)

// Permissions granted by roles. Scoped ones are checked against the route's {cluster} and
// {group} parameters when it has them.
const (
	PermViewDashboard Permission = "dashboard:view"
	PermRequestReset  Permission = "reset:request"
	PermApproveReset  Permission = "reset:approve"
	PermExecuteReset  Permission = "reset:execute"
	PermViewAudit     Permission = "audit:view"
	PermExportAudit   Permission = "audit:export"
	PermAdmin         Permission = "settings:admin"
	// PermReadMessages lets one read message bodies (a dead letter, the message a queue is
	// blocked on); each read is recorded. PermResendMessages lets one send a dead letter
	// back to its group's retry topic.
	PermReadMessages   Permission = "messages:read"
	PermResendMessages Permission = "messages:resend"
	// PermManageAlerts edits alert rules and silences and acknowledges alerts, within the
	// clusters and groups the grant reaches.
	PermManageAlerts Permission = "alerts:manage"
	// PermManageFreezes creates, changes and deletes change-freeze windows.
	PermManageFreezes Permission = "freeze:manage"
)

// grantable lists the permissions roles can hold, in a stable order for messages.
var grantable = []Permission{
	PermViewDashboard, PermRequestReset, PermApproveReset, PermExecuteReset,
	PermViewAudit, PermExportAudit, PermAdmin, PermReadMessages, PermResendMessages, PermManageAlerts, PermManageFreezes,
}

// writes are the permissions that change a cluster or the dashboard's settings; anonymous
// users may never hold one.
var writes = []Permission{PermRequestReset, PermApproveReset, PermExecuteReset, PermAdmin, PermResendMessages, PermManageAlerts, PermManageFreezes}

// Grantable reports whether p is a permission a role can grant (not Public or SignedIn).
func (p Permission) Grantable() bool { return slices.Contains(grantable, p) }

// Write reports whether p changes a cluster or the settings.
func (p Permission) Write() bool { return slices.Contains(writes, p) }

// Known reports whether p is a permission a route may declare.
func (p Permission) Known() bool { return p == Public || p == SignedIn || p.Grantable() }

// Role is a named set of permissions.
type Role string

// Roles, from least to most powerful.
const (
	RoleViewer   Role = "viewer"
	RoleOperator Role = "operator"
	RoleApprover Role = "approver"
	RoleAuditor  Role = "auditor"
	RoleAdmin    Role = "admin"
)

// roles maps each role to its permissions. Operators request resets and execute approved
// ones, read message bodies to see what a group fails on, and run the alerting of the
// groups they look after (rules, silences, acknowledgements); approvers approve or reject
// other people's requests (the reset workflow refuses self-approval); auditors read
// everything and export the audit trail but change nothing. Only admins send dead letters
// back.
var roles = map[Role][]Permission{
	RoleViewer:   {PermViewDashboard},
	RoleOperator: {PermViewDashboard, PermRequestReset, PermExecuteReset, PermReadMessages, PermManageAlerts},
	RoleApprover: {PermViewDashboard, PermApproveReset},
	RoleAuditor:  {PermViewDashboard, PermViewAudit, PermExportAudit},
	RoleAdmin:    grantable,
}

// Roles returns every role, least powerful first.
func Roles() []Role {
	return []Role{RoleViewer, RoleOperator, RoleApprover, RoleAuditor, RoleAdmin}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roles[r]; return ok }

// Has reports whether the role grants p.
func (r Role) Has(p Permission) bool { return slices.Contains(roles[r], p) }

// Permissions returns the permissions of the role.
func (r Role) Permissions() []Permission { return slices.Clone(roles[r]) }

// WritePermissions returns the write permissions the role grants, none for read-only roles.
func (r Role) WritePermissions() []Permission {
	var out []Permission
	for _, p := range roles[r] {
		if p.Write() {
			out = append(out, p)
		}
	}
	return out
}

func roleNames() string {
	var names []string
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

func permissionNames() string {
	var names []string
	for _, p := range grantable {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// Scope is where a request acts: a cluster and a consumer group. An empty field means the
// route has no such parameter.
type Scope struct {
	Cluster string
	Group   string
}

// String formats the scope for logs: "cluster=prod group=payments-orders".
func (s Scope) String() string {
	var parts []string
	if s.Cluster != "" {
		parts = append(parts, "cluster="+s.Cluster)
	}
	if s.Group != "" {
		parts = append(parts, "group="+s.Group)
	}
	if len(parts) == 0 {
		return "(unscoped)"
	}
	return strings.Join(parts, " ")
}
