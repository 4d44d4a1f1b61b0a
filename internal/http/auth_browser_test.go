package http

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestBrowserSignInAndOut signs in through the dev provider's form in Chromium, lands on
// the overview under the user's name, then signs out through the provider and ends on its
// login form again with no session left.
func TestBrowserSignInAndOut(t *testing.T) {
	env := newEnv(t, envOptions{})
	tab := stacktest.Browser(t)
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			loc, _ := chromedp.Run(tab.Ctx, chromedp.Location())
			tab.Screenshot("failed")
			t.Fatalf("at %s: %v", loc, err)
		}
	}
	run(
		chromedp.Navigate(env.URL+"/?tab=lag"), // the sign-in comes back to the page asked for
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	if loc, _ := chromedp.Run(tab.Ctx, chromedp.Location()); strings.HasPrefix(loc, env.URL) {
		t.Fatalf("not sent to the provider: %s", loc)
	}
	run(
		chromedp.SendKeys(chromedp.ID("username"), "viewer"),
		chromedp.SendKeys(chromedp.ID("password"), "lagboard-viewer"),
		chromedp.Click(chromedp.CSS(`form[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
	)
	if loc, _ := chromedp.Run(tab.Ctx, chromedp.Location()); loc != env.URL+"/?tab=lag" {
		t.Errorf("after sign-in the browser is at %s", loc)
	}
	run(chromedp.Navigate(env.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="cluster"]`)))
	name, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(`[data-testid="user-name"]`)))
	if err != nil || name != "Vera Viewer" {
		t.Fatalf("header shows %q, %v", name, err)
	}
	if c, _ := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`document.cookie`)); strings.Contains(c, "lagboard_session") {
		t.Errorf("scripts can read the session cookie: %q", c)
	}
	if env.signedInSessions(t) != 1 {
		t.Fatalf("%d signed-in sessions", env.signedInSessions(t))
	}
	tab.Screenshot("signed-in")

	run(
		chromedp.Click(chromedp.CSS(`[data-testid="sign-out"]`)),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	if n := env.signedInSessions(t); n != 0 {
		t.Errorf("%d signed-in sessions after sign-out", n)
	}
	// Back on the dashboard, the browser is sent to sign in again.
	run(chromedp.Navigate(env.URL+"/"), chromedp.WaitVisible(chromedp.ID("username")))
	if p := tab.Problems(); len(p) > 0 {
		t.Errorf("browser console reported problems: %q", p)
	}
}
