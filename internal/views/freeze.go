package views

import (
	"net/url"
	"time"
)

// SectionFreezes is the navigation entry of the change-freeze windows.
const SectionFreezes = "freezes"

// FreezeListPage lists the change-freeze windows.
type FreezeListPage struct {
	Rows []FreezeRow
	// CanManage shows the links to create, change and delete windows.
	CanManage bool
	// Deleted names a window just deleted, for the notice.
	Deleted string
}

// FreezeRow is one window in the list.
type FreezeRow struct {
	ID, Name, Reason string
	Clusters, Groups string
	// When says when it is in force, in words; Status whether it is now ("in-force"),
	// later ("upcoming") or never again ("over"), with StatusAt the end or next start.
	When     string
	Status   string
	StatusAt *time.Time
	Zone     string
	// Updated says who last changed it, and when.
	UpdatedBy string
	UpdatedAt time.Time
}

// FreezeFormPage is the form that creates or changes a window.
type FreezeFormPage struct {
	Form FreezeForm
	// Error is why the window was not saved; the form keeps what was typed.
	Error string
}

// FreezeForm is a window as typed.
type FreezeForm struct {
	// ID is empty for a new window.
	ID                       string
	Name, Reason             string
	Clusters, Groups         string
	Kind                     string // "once" or "weekly"
	Start, End               string // datetime-local values, read in Zone
	Days                     map[string]bool
	From, To                 string // "HH:MM"
	Zone                     string
	DayOptions, ZoneExamples []Option
}

// Action is where the form posts.
func (f FreezeForm) Action() string {
	if f.ID == "" {
		return "/freezes"
	}
	return FreezeHref(f.ID)
}

// FreezeHref is the page that changes a window.
func FreezeHref(id string) string { return "/freezes/" + url.PathEscape(id) }

// FreezeStatusBadge is the badge class of a window's status.
func FreezeStatusBadge(status string) string {
	switch status {
	case "in-force":
		return "badge err"
	case "upcoming":
		return "badge warn"
	}
	return "badge stale"
}

// FreezeStatusLabel says a window's status in words.
func FreezeStatusLabel(status string) string {
	switch status {
	case "in-force":
		return "in force until"
	case "upcoming":
		return "next from"
	}
	return "over"
}
