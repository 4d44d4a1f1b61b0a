package views

import (
	"net/url"
	"strconv"
	"time"
)

// ResetListPage is the list of offset reset requests, filtered as its URL says.
type ResetListPage struct {
	Filter ResetFilter
	// States are the choices of the state filter; Clusters those of the cluster filter.
	States   []Option
	Clusters []string
	Rows     []ResetListRow
	// CanRequest shows the link to request a reset.
	CanRequest bool
	// More says a next page exists.
	More bool
}

// Option is one choice of a select or a set of radio buttons.
type Option struct {
	Value, Label string
}

// ResetFilter is the list's state that lives in its URL: filters, search, sort and page.
type ResetFilter struct {
	State, Cluster, Group, Topic string
	// Search keeps requests whose group or topic contains it.
	Search string
	// Sort is a column key ("" is the newest first); Page counts from 1.
	Sort string
	Desc bool
	Page int
}

// Filtered reports whether any filter is set.
func (f ResetFilter) Filtered() bool {
	return f.State != "" || f.Cluster != "" || f.Group != "" || f.Topic != "" || f.Search != ""
}

// URL is the reset list with this state, leaving out what is at its default.
func (f ResetFilter) URL() string {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", f.Search}, {"state", f.State}, {"cluster", f.Cluster}, {"group", f.Group},
		{"topic", f.Topic}, {"sort", f.Sort}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if f.Sort != "" && f.Desc {
		v.Set("dir", "desc")
	}
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	if e := v.Encode(); e != "" {
		return "/resets?" + e
	}
	return "/resets"
}

// SortURL sorts by key, keeping the filters, from the first page: the same column again
// flips the direction.
func (f ResetFilter) SortURL(key string) string {
	n := f
	n.Page = 0
	if f.Sort == key {
		n.Desc = !f.Desc
	} else {
		n.Sort, n.Desc = key, key == "requested"
	}
	return n.URL()
}

// PageURL is the same list on another page.
func (f ResetFilter) PageURL(page int) string {
	n := f
	n.Page = page
	return n.URL()
}

// AriaSort is the aria-sort value of a column header.
func (f ResetFilter) AriaSort(key string) string {
	switch {
	case f.Sort == key && f.Desc, f.Sort == "" && key == "requested":
		return "descending"
	case f.Sort == key:
		return "ascending"
	}
	return "none"
}

// ResetColumns are the reset list's columns in order; those with a key sort.
var ResetColumns = []GroupsColumn{
	{"requested", "Requested", false}, {"group", "Group", false}, {"topic", "Topic", false}, {"cluster", "Cluster", false},
	{"kind", "Target", false}, {"state", "State", false}, {"", "Approvals", true}, {"by", "By", false},
}

// ResetListRow is one request in the list.
type ResetListRow struct {
	ID, Href              string
	Cluster, Group, Topic string
	// Target is the target in words; TargetAt the instant of a reset to a point in time,
	// shown instead in the viewer's time zone and in UTC. Scope says which queues.
	Target              string
	TargetAt            *time.Time
	Scope               string
	State, StateLabel   string
	RequestedBy         string
	RequestedAt         time.Time
	Approvals, Required int
	// Batch says which of several groups of one request the row is ("1 of 3"), "" for a
	// request of one group.
	Batch string
}

// ResetRequestHref is the page of a reset request.
func ResetRequestHref(id string) string { return "/resets/" + url.PathEscape(id) }

// ResetStateBadge is the badge class of a reset request's state.
func ResetStateBadge(state string) string {
	switch state {
	case "verified", "executed", "approved":
		return "badge ok"
	case "pending", "executing":
		return "badge stale"
	case "partial", "not_honoured", "expired", "cancelled":
		return "badge warn"
	}
	return "badge err"
}

// ResetPreview is a preview table: what a reset moves, queue by queue.
type ResetPreview struct {
	// Heading names the group and topic when a request covers several; Key makes the
	// table's ids unique on the page then.
	Heading, Key string
	At           time.Time
	// Instant is the exact point in time a reset to a point in time uses.
	Instant  *time.Time
	Rows     []PreviewRow
	Totals   PreviewTotals
	Warnings []ResetWarning
	Brokers  []PreviewBroker
	// Blocked is set when a warning says the reset cannot be carried out as asked.
	Blocked bool
}

// PreviewRow is one queue of a preview.
type PreviewRow struct {
	Broker  string
	QueueID int
	// Current is the committed offset, "none" when the group has none on the queue.
	Current, Min, Max, Requested, Target string
	Clamped                              bool
	// Left marks a queue a copy leaves as it is: the source group has no offset there.
	Left bool
	// Change is signed ("−120", "+30", "0"); Reconsume and Skip are counts.
	Change, Reconsume, Skip string
}

// PreviewTotals sum a preview.
type PreviewTotals struct {
	Queues, Changed, Clamped int
	Reconsume, Skip          string
}

// PreviewBroker is one broker of the topic and how it carries out the reset.
type PreviewBroker struct {
	Name, Version, Path string
	Online              int
}

// ResetWarning is a warning of a preview; a blocking one stops the request.
type ResetWarning struct {
	Code, Text string
	Blocking   bool
}

// brokerLine says how a broker of a preview carries out the reset: " (V5_3_3) resets on
// the server, 1 client online."
func brokerLine(b PreviewBroker) string {
	s := ""
	if b.Version != "" {
		s = " (" + b.Version + ")"
	}
	online := Plural(b.Online, "client", "clients") + " online"
	if b.Online == 0 {
		online = "no client online"
	}
	return s + " " + pathLabel(b.Path) + ", " + online + "."
}

// totalsLine sums a preview for its footer: "2 queues, 1 to move, 1 clamped".
func totalsLine(t PreviewTotals) string {
	s := Plural(t.Queues, "queue", "queues") + ", " + Count(int64(t.Changed)) + " to move"
	if t.Clamped > 0 {
		s += ", " + Count(int64(t.Clamped)) + " clamped"
	}
	return s
}

// pathLabel says how a broker carries out the reset.
func pathLabel(path string) string {
	switch path {
	case "server":
		return "resets on the server"
	case "client":
		return "hands the reset to its clients"
	case "direct":
		return "has its offsets written directly"
	}
	return path
}
