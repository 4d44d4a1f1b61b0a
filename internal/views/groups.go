package views

import (
	"net/url"
	"strconv"
	"time"
)

// GroupsQuery is the state of the groups page that lives in its URL: filters, sort and page.
type GroupsQuery struct {
	Search, Cluster, Health, Topic, Model string
	// Sort is a column key ("" is the default order, worst health first).
	Sort string
	Desc bool
	Page int
}

// Values encodes the query, leaving out what is at its default.
func (q GroupsQuery) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", q.Search)
	set("cluster", q.Cluster)
	set("health", q.Health)
	set("topic", q.Topic)
	set("model", q.Model)
	set("sort", q.Sort)
	if q.Sort != "" && q.Desc {
		v.Set("dir", "desc")
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	return v
}

// URL is the groups page with this query.
func (q GroupsQuery) URL() string {
	if e := q.Values().Encode(); e != "" {
		return "/groups?" + e
	}
	return "/groups"
}

// SortURL sorts by key, keeping every filter: the same column again flips the direction,
// another column starts ascending (descending for figures, where the largest matter).
// Sorting goes back to the first page.
func (q GroupsQuery) SortURL(key string) string {
	n := q
	n.Page = 0
	if q.Sort == key {
		n.Desc = !q.Desc
	} else {
		n.Sort, n.Desc = key, descFirst[key]
	}
	return n.URL()
}

// PageURL is the same query on another page.
func (q GroupsQuery) PageURL(page int) string {
	n := q
	n.Page = page
	return n.URL()
}

// AriaSort is the aria-sort value of a column header.
func (q GroupsQuery) AriaSort(key string) string {
	switch {
	case q.Sort != key:
		return "none"
	case q.Desc:
		return "descending"
	}
	return "ascending"
}

// Filtered reports whether any filter is set.
func (q GroupsQuery) Filtered() bool {
	return q.Search != "" || q.Cluster != "" || q.Health != "" || q.Topic != "" || q.Model != ""
}

// descFirst are the columns whose first click sorts the largest first.
var descFirst = map[string]bool{"lag": true, "lag_time": true, "drain": true, "tps": true, "clients": true}

// GroupsColumn is a sortable column of the groups table.
type GroupsColumn struct {
	Key, Label string
	Num        bool
}

// GroupsColumns are the groups table's columns in order.
var GroupsColumns = []GroupsColumn{
	{"group", "Group", false}, {"cluster", "Cluster", false}, {"health", "Health", false},
	{"lag", "Lag", true}, {"lag_time", "Lag in time", true}, {"drain", "Time to drain", true}, {"", "Last hour", false},
	{"tps", "Delivered TPS", true}, {"clients", "Clients", true}, {"model", "Model", false},
	{"kind", "Kind", false},
}

// GroupsPage is the groups page: every group the viewer may see, one page of them.
type GroupsPage struct {
	Live  Live
	Query GroupsQuery
	// Options of the filters.
	Clusters []string
	Healths  []string
	// Rows are this page's groups.
	Rows []GroupRow
	// Total groups match the filters; Stored groups exist at all.
	Total, Stored int
	// Pages is the number of pages; First and Last number this page's rows.
	Pages, First, Last int
}

// GroupRow is one line of the groups table.
type GroupRow struct {
	Cluster, Group, Href string
	Health               HealthBadge
	Lag                  *int64
	LagSeconds           *float64
	// LagTimeSource is exact, interpolated or unknown.
	LagTimeSource string
	// Drain is when the backlog will be gone at the recent rates.
	Drain       Drain
	Trend       Sparkline
	TPS         *float64
	Clients     *int32
	Model, Type string
	// Kind is how the group consumes (push, pull, simple, pop); Orderly when it consumes in
	// order.
	Kind    string
	Orderly bool
	// StaleSince is set while the group's brokers do not answer.
	StaleSince *time.Time
}

// GroupHref is the URL of a group's page.
func GroupHref(cluster, group string) string {
	return "/clusters/" + url.PathEscape(cluster) + "/groups/" + url.PathEscape(group)
}

// sortName says in words how the table is sorted, for its caption.
func sortName(q GroupsQuery) string {
	if q.Sort == "" {
		return "health, worst first, then lag in time"
	}
	for _, c := range GroupsColumns {
		if c.Key == q.Sort {
			if q.Desc {
				return c.Label + ", descending"
			}
			return c.Label + ", ascending"
		}
	}
	return q.Sort
}

// KindShort names how a group consumes in a table cell: "push", "simple", "pull · orderly".
func KindShort(kind string, orderly bool) string {
	if kind == "" {
		return Unknown
	}
	if orderly {
		return kind + " · orderly"
	}
	return kind
}
