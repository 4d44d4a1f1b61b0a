package stacktest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestMain(m *testing.M) { Main(m) }

func TestBrowserReadsPageAndRecordsConsoleErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>t</title><p id="msg">hello</p><script>console.error("boom")</script>`)
	}))
	defer srv.Close()
	tab := Browser(t)
	if err := chromedp.Do(tab.Ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("#msg")))
	if err != nil || text != "hello" {
		t.Fatalf("text = %q, %v", text, err)
	}
	// The console message reaches the recorder on its own goroutine: poll for it with a deadline.
	deadline := time.Now().Add(10 * time.Second)
	for !containsProblem(tab, "boom") {
		if time.Now().After(deadline) {
			t.Fatalf("console error not recorded: %q", tab.Problems())
		}
		time.Sleep(20 * time.Millisecond)
	}
	png, err := os.ReadFile(tab.Screenshot("page"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
}

func containsProblem(tab *Tab, s string) bool {
	for _, p := range tab.Problems() {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}
