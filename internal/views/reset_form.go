package views

// ResetFormPage is the page that requests an offset reset: the form, and what the last
// attempt said.
type ResetFormPage struct {
	Form ResetForm
	// Preview is the preview of the form as filled in, when one was computed; Previews
	// are those of each group and topic of a request of several.
	Preview  *ResetPreview
	Previews []ResetPreview
	// PreviewNote says why there is no preview (a field is missing, the broker said no).
	PreviewNote string
	// Error is why the request was not created; OpenHref links the open request that
	// stands in the way of a new one.
	Error    string
	OpenHref string
}

// ResetForm is the request form with what the user typed, kept across every answer.
type ResetForm struct {
	// Clusters are those the user may request resets on.
	Clusters              []string
	Cluster, Group, Topic string
	// Groups are suggestions for the group box: groups of the cluster the user may request
	// resets for.
	Groups []string
	// Topics are the group's known topics, its retry topic included; empty when none is
	// known yet, and the topic is then typed.
	Topics []string
	Kinds  []Option
	Kind   string
	// Time is the datetime-local value as typed; TimeUTC the same instant in RFC 3339,
	// which the page's script fills in.
	Time, TimeUTC string
	By            string
	// Source is the group whose offsets a copy takes.
	Source string
	// Scope is "all" or "chosen".
	Scope  string
	Queues []FormQueue
	// QueuesNote says why the topic's queues are not listed.
	QueuesNote string
	// More lists other groups and topics to reset alike, one per line, as typed.
	More           string
	Reason, Ticket string
}

// FormQueue is one queue of the topic in the form: chosen or not, its exact target, and
// where it stands now.
type FormQueue struct {
	Label             string // "broker/queueId"
	Checked           bool
	Offset            string
	Current, Min, Max string
}

// Chosen reports whether the request covers chosen queues only.
func (f ResetForm) Chosen() bool { return f.Scope == "chosen" }

// OffsetField is the name of a queue's exact offset field.
func OffsetField(label string) string { return "offset." + label }

// Blocked reports whether a preview shown says the reset cannot be carried out as asked.
func (m ResetFormPage) Blocked() bool {
	if m.Preview != nil && m.Preview.Blocked {
		return true
	}
	for _, p := range m.Previews {
		if p.Blocked {
			return true
		}
	}
	return false
}
