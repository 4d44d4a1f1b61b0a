package views

import (
	"strconv"
	"time"
)

// SectionAlerts is the navigation entry of the alerts page.
const SectionAlerts = "alerts"

// AlertsPage is the alerts page: what fires, what could not be delivered, the rules, the
// silences and the latest notifications.
type AlertsPage struct {
	// Every is how often the live part refreshes: the shortest poll interval.
	Every time.Duration
	Now   time.Time
	// CanManage shows the buttons and forms of alerts:manage; the routes check again.
	CanManage bool
	Firing    []FiringRow
	Failing   []NotificationRow
	Recent    []NotificationRow
	Rules     []RuleRow
	Silences  []SilenceRow
	Silence   SilenceForm
}

// FiringRow is an alert firing now.
type FiringRow struct {
	Cluster, Group, GroupHref string
	Rule, Trigger, Status     string
	Summary                   string
	Since                     time.Time
	// Notified is false while a silence holds its notification back.
	Notified bool
	AckedBy  string
	AckedAt  *time.Time
	AckHref  string
	CanAck   bool
}

// NotificationRow is a notification of the outbox.
type NotificationRow struct {
	ID                         int64
	Key, Kind, Rule            string
	Cluster, Group, GroupHref  string
	Receiver                   string // kind and URL, safe to show
	State                      string // pending, delivered, given_up
	Attempts                   int32
	LastError                  string
	CreatedAt                  time.Time
	DeliveredAt, LastAttemptAt *time.Time
	NextAt                     time.Time
	RetryHref                  string
	CanRetry                   bool
}

// StateLabel says where a notification is, for people.
func (n NotificationRow) StateLabel() string {
	switch n.State {
	case "delivered":
		return "delivered"
	case "given_up":
		return "given up after " + strconv.Itoa(int(n.Attempts)) + " attempts"
	}
	if n.Attempts == 0 {
		return "queued"
	}
	return "retrying (" + strconv.Itoa(int(n.Attempts)) + " failed)"
}

// StateClass colours a notification's state.
func (n NotificationRow) StateClass() string {
	switch {
	case n.State == "delivered":
		return "badge ok"
	case n.State == "given_up":
		return "badge err"
	case n.Attempts > 0:
		return "badge warn"
	}
	return "badge stale"
}

// RuleRow is an alert rule in the list.
type RuleRow struct {
	ID               int64
	Name             string
	Enabled          bool
	Clusters, Groups string
	Triggers         string
	Receiver         string
	Repeat           string
	EditHref         string
	CanEdit          bool
	UpdatedBy        string
	UpdatedAt        time.Time
}

// SilenceRow is a silence, active or ended recently.
type SilenceRow struct {
	ID               int64
	Clusters, Groups string
	Reason, By       string
	StartsAt, EndsAt time.Time
	EndedAt          *time.Time
	EndedBy          string
	Active           bool
	EndHref          string
	CanEnd           bool
}

// SilenceForm is the form that silences groups, as it was sent when it is refused.
type SilenceForm struct {
	Clusters, Groups, Duration, Reason string
	Error                              string
}

// RuleFormPage is the page that creates or edits an alert rule.
type RuleFormPage struct {
	// Action is where the form posts; DeleteHref is set when editing.
	Action, DeleteHref string
	Title              string
	Form               RuleForm
	// Error is why the rule was refused; it names the field.
	Error string
}

// RuleForm holds the fields of a rule form, as text.
type RuleForm struct {
	Name                              string
	Enabled                           bool
	Clusters, Groups                  string
	Statuses                          []Choice
	Expired                           bool
	LagMessages, LagTime, DrainWithin string
	Hold, Repeat                      string
	ReceiverKinds                     []Choice
	ReceiverURL                       string
	// SecretSet says a webhook secret is stored: an empty field keeps it.
	SecretSet bool
	// ReadAt is when the edited rule was read; saving refuses if it changed since.
	ReadAt string
	// DefaultRepeat is the server's repeat interval, for rules that set none.
	DefaultRepeat string
	// UpdatedBy and UpdatedAt are the last change of an edited rule.
	UpdatedBy string
	UpdatedAt *time.Time
}

// Choice is an option of a form that may be chosen: a value, its label, whether it is.
type Choice struct {
	Value, Label string
	Checked      bool
}
