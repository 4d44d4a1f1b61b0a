package stacktest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPageChecksFindWhatIsWrong: on a page built to break every rule, Layout reports the
// overflow, the overlapping texts and the name broken letter by letter, and Axe the image
// without a text alternative; on a clean page, nothing.
func TestPageChecksFindWhatIsWrong(t *testing.T) {
	bad := `<!doctype html><html lang="en"><title>bad</title><body style="margin:0">
		<div style="width:2000px">wide</div>
		<h1 style="position:absolute;top:100px;left:10px">First heading</h1>
		<h2 style="position:absolute;top:104px;left:20px">Second heading</h2>
		<table style="width:40px;margin-top:200px"><tr><th scope="row" style="overflow-wrap:anywhere">payments</th></tr></table>
		<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10"></body></html>`
	good := `<!doctype html><html lang="en"><title>good</title><body><main><h1>Fine</h1><p>Nothing wrong here.</p></main></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/bad" {
			fmt.Fprint(w, bad)
			return
		}
		fmt.Fprint(w, good)
	}))
	defer srv.Close()
	tab := Browser(t)
	if err := tab.Viewport(800, 600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab.Ctx, chromedp.Navigate(srv.URL+"/bad")); err != nil {
		t.Fatal(err)
	}
	lp, err := tab.Layout()
	if err != nil {
		t.Fatal(err)
	}
	if lp.Overflow < 1000 || len(lp.Overlaps) != 1 || !strings.Contains(lp.Overlaps[0], "First heading") ||
		len(lp.Broken) != 1 || !strings.Contains(lp.Broken[0], "payments") {
		t.Errorf("bad page: %+v", lp)
	}
	vs, err := tab.Axe()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(vs), "image-alt") {
		t.Errorf("axe found %v, want image-alt among them", vs)
	}
	if err := chromedp.Do(tab.Ctx, chromedp.Navigate(srv.URL+"/good")); err != nil {
		t.Fatal(err)
	}
	if lp, err := tab.Layout(); err != nil || lp.Overflow != 0 || len(lp.Overlaps)+len(lp.Broken) != 0 {
		t.Errorf("good page: %+v, %v", lp, err)
	}
	if vs, err := tab.Axe(); err != nil || len(vs) != 0 {
		t.Errorf("good page: axe %v, %v", vs, err)
	}
}
