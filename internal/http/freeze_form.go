package http

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/freeze"
	"github.com/lagboard/lagboard/internal/views"
)

// freezeNew shows the form of a new window: once, from now for an hour, in UTC, on every
// cluster and group, until changed.
func (s *Server) freezeNew(w http.ResponseWriter, r *http.Request) error {
	if err := s.freezesOn(); err != nil {
		return err
	}
	start := time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	f := views.FreezeForm{Kind: "once", Clusters: "*", Groups: "*", Zone: "UTC",
		Start: start.Format(freezeLocal), End: start.Add(time.Hour).Format(freezeLocal), From: "22:00", To: "06:00"}
	s.render(w, r, http.StatusOK, views.FreezeFormView(s.chrome(views.SectionFreezes), views.FreezeFormPage{Form: withChoices(f)}))
	return nil
}

// freezeEdit shows the form of an existing window, filled in.
func (s *Server) freezeEdit(w http.ResponseWriter, r *http.Request) error {
	if err := s.freezesOn(); err != nil {
		return err
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	fw, err := s.deps.Freezes.Get(ctx, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, views.FreezeFormView(s.chrome(views.SectionFreezes), views.FreezeFormPage{Form: formOf(fw)}))
	return nil
}

// freezeSave creates a window (POST /freezes) or changes one (POST /freezes/{id}) and goes
// to the list; a wrong field shows the form again as it was sent, saying what to fix.
func (s *Server) freezeSave(w http.ResponseWriter, r *http.Request) error {
	if err := s.freezesOn(); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errcode.Errorf(errcode.Invalid, "The form could not be read.")
	}
	id := chi.URLParam(r, "id")
	f, fw, err := parseFreezeForm(r.PostForm)
	f.ID, fw.ID = id, id
	if err == nil && id != "" {
		if _, err = s.deps.Freezes.Get(r.Context(), id); errcode.Code(err) == errcode.NotFound {
			return err // nothing to show a form for
		}
	}
	if err == nil && id == "" {
		_, err = s.deps.Freezes.Create(r.Context(), s.freezeWho(r), fw)
	} else if err == nil {
		_, err = s.deps.Freezes.Update(r.Context(), s.freezeWho(r), fw)
	}
	if err == nil {
		seeOther(w, r, "/freezes")
		return nil
	}
	code := errcode.Code(err)
	if code == errcode.Forbidden || code == errcode.Internal {
		return err
	}
	s.render(w, r, statusOf(code), views.FreezeFormView(s.chrome(views.SectionFreezes), views.FreezeFormPage{Form: withChoices(f), Error: errcode.Message(err)}))
	return nil
}

// freezeLocal is the layout of datetime-local values.
const freezeLocal = "2006-01-02T15:04"

// parseFreezeForm reads the form into what to show again, whatever happens, and the window
// it asks for; the service checks the rest.
func parseFreezeForm(v url.Values) (views.FreezeForm, freeze.Window, error) {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := views.FreezeForm{Name: v.Get("name"), Reason: v.Get("reason"), Clusters: get("clusters"), Groups: get("groups"),
		Kind: get("kind"), Start: get("start"), End: get("end"), From: get("from"), To: get("to"), Zone: get("zone"), Days: map[string]bool{}}
	for _, d := range v["day"] {
		f.Days[d] = true
	}
	fw := freeze.Window{Name: f.Name, Reason: f.Reason, Clusters: splitPatterns(f.Clusters), Groups: splitPatterns(f.Groups),
		Kind: freeze.Kind(f.Kind), Zone: f.Zone}
	invalid := func(format string, args ...any) (views.FreezeForm, freeze.Window, error) {
		return f, fw, errcode.Errorf(errcode.Invalid, format, args...)
	}
	loc, err := time.LoadLocation(f.Zone)
	if err != nil || f.Zone == "" || strings.EqualFold(f.Zone, "local") {
		return invalid("%q is not a time zone; use a name such as Europe/Paris, America/New_York or UTC.", f.Zone)
	}
	switch fw.Kind {
	case freeze.Once:
		for _, t := range []struct {
			what, value string
			to          *time.Time
		}{{"start", f.Start, &fw.Start}, {"end", f.End, &fw.End}} {
			if t.value == "" {
				return invalid("Give when the window starts and when it ends.")
			}
			v, err := parseLocal(t.value, loc)
			if err != nil {
				return invalid("The %s %q is not a date and time such as 2026-11-27T09:00.", t.what, t.value)
			}
			*t.to = v
		}
	case freeze.Weekly:
		for _, d := range v["day"] {
			day, ok := weekdays[d]
			if !ok {
				return invalid("%q is not a day of the week.", d)
			}
			fw.Days = append(fw.Days, day)
		}
		if fw.From, err = freeze.ParseClock(f.From); err != nil {
			return f, fw, err
		}
		if fw.To, err = freeze.ParseClock(f.To); err != nil {
			return f, fw, err
		}
	}
	return f, fw, nil
}

// parseLocal reads a datetime-local value, with or without seconds, in loc.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	for _, l := range []string{freezeLocal, "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.ParseInLocation(freezeLocal, s, loc)
}

// splitPatterns reads patterns separated by spaces or commas.
func splitPatterns(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// weekdays are the form's day values.
var weekdays = map[string]time.Weekday{"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday}

// dayOrder is the days in the form's order, Monday first.
var dayOrder = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// formOf is the form of a stored window.
func formOf(w freeze.Window) views.FreezeForm {
	f := views.FreezeForm{ID: w.ID, Name: w.Name, Reason: w.Reason, Clusters: strings.Join(w.Clusters, " "),
		Groups: strings.Join(w.Groups, " "), Kind: string(w.Kind), Zone: w.Zone, Days: map[string]bool{},
		From: "22:00", To: "06:00"}
	loc, err := time.LoadLocation(w.Zone)
	if err != nil {
		loc = time.UTC
	}
	if w.Kind == freeze.Once {
		f.Start, f.End = w.Start.In(loc).Format(freezeLocal), w.End.In(loc).Format(freezeLocal)
	} else {
		f.From, f.To = w.From.String(), w.To.String()
		for _, d := range w.Days {
			f.Days[strings.ToLower(d.String()[:3])] = true
		}
	}
	return withChoices(f)
}

// withChoices adds the form's days and example time zones.
func withChoices(f views.FreezeForm) views.FreezeForm {
	f.DayOptions = nil
	for _, d := range dayOrder {
		f.DayOptions = append(f.DayOptions, views.Option{Value: d, Label: weekdays[d].String()})
	}
	f.ZoneExamples = nil
	for _, z := range []string{"UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
		"America/Los_Angeles", "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"} {
		f.ZoneExamples = append(f.ZoneExamples, views.Option{Value: z, Label: z})
	}
	if f.Days == nil {
		f.Days = map[string]bool{}
	}
	return f
}
