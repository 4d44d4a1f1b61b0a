package freeze

import (
	"fmt"
	"strings"
	"time"
)

// Active is a window in force, with its occurrence that is.
type Active struct {
	Window     Window
	Start, End time.Time
}

// State is what the windows covering one consumer group say at one instant.
type State struct {
	At     time.Time
	Active []Active
	// Until is when execution is possible again: the end of the freeze, carried past every
	// window covering the group that starts before the freeze ends.
	Until time.Time
}

// Frozen reports whether a window is in force.
func (s State) Frozen() bool { return len(s.Active) > 0 }

// maxChain bounds how many back-to-back occurrences extend a freeze.
const maxChain = 100

// Evaluate says which of ws are in force at t for the group of the cluster, and until when
// the freeze lasts.
func Evaluate(ws []Window, cluster, group string, t time.Time) State {
	st := State{At: t}
	var covering []Window
	for _, w := range ws {
		if !w.Covers(cluster, group) {
			continue
		}
		covering = append(covering, w)
		if start, end, ok := w.At(t); ok {
			st.Active = append(st.Active, Active{Window: w, Start: start, End: end})
			if end.After(st.Until) {
				st.Until = end
			}
		}
	}
	if !st.Frozen() {
		return st
	}
	for range maxChain {
		moved := false
		for _, w := range covering {
			if start, end, ok := w.Next(st.Until); ok && !start.After(st.Until) && end.After(st.Until) {
				st.Until, moved = end, true
			}
		}
		if !moved {
			break
		}
	}
	return st
}

// Names lists the windows in force, quoted: `"Black Friday", "Weekend"`.
func (s State) Names() string {
	var out []string
	for _, a := range s.Active {
		out = append(out, fmt.Sprintf("%q", a.Window.Name))
	}
	return strings.Join(out, ", ")
}

// Message says why execution is refused now, naming each window in force and when the
// freeze ends, in the first window's time zone and in UTC.
func (s State) Message() string {
	if !s.Frozen() {
		return ""
	}
	what := "Change freeze " + s.Names() + " is"
	if len(s.Active) > 1 {
		what = "Change freezes " + s.Names() + " are"
	}
	return fmt.Sprintf("%s in force: offset resets are not executed until %s (%s).", what,
		s.Active[0].Window.show(s.Until), s.Until.UTC().Format("2006-01-02 15:04 UTC"))
}
