package authtest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// GetAndSignIn fetches start with c, which must lead to the dev provider's login form, and
// submits it as username with the demo password ("lagboard-<username>"), as a browser without
// scripts would. It returns the response to the form's submission; c's redirect policy
// decides how far that goes.
func GetAndSignIn(t testing.TB, c *http.Client, start, username string) *http.Response {
	t.Helper()
	resp, err := c.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	form := doc.Find(`form[data-testid="login-form"]`)
	if form.Length() == 0 {
		t.Fatalf("no login form at %s (status %d)", resp.Request.URL, resp.StatusCode)
	}
	action, _ := form.Attr("action")
	id, _ := form.Find(`input[name="id"]`).Attr("value")
	target, err := resp.Request.URL.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.PostForm(target.String(), url.Values{"id": {id}, "username": {username}, "password": {"lagboard-" + username}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
