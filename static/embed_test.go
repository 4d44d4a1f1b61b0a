package static

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAssetsHashedNames(t *testing.T) {
	fsys := fstest.MapFS{
		"css/site.css":      {Data: []byte("body{}")},
		"vendor/lib.min.js": {Data: []byte("x=1")},
	}
	a, err := newAssets(fsys)
	if err != nil {
		t.Fatal(err)
	}
	css := a.Path("css/site.css")
	if !strings.HasPrefix(css, "/static/css/site.") || !strings.HasSuffix(css, ".css") || css == "/static/css/site.css" {
		t.Fatalf("css path %q is not hashed", css)
	}
	js := a.Path("vendor/lib.min.js")
	if !strings.HasSuffix(js, ".min.js") {
		t.Fatalf("js path %q lost its .min.js suffix", js)
	}

	tests := []struct {
		url, wantBody, wantType string
		wantStatus              int
	}{
		{css, "body{}", "text/css; charset=utf-8", 200},
		{js, "x=1", "text/javascript; charset=utf-8", 200},
		{"/static/css/site.css", "", "", 404}, // the unhashed name is not served
		{"/static/nope.js", "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, httptest.NewRequest("GET", tt.url, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				return
			}
			body, _ := io.ReadAll(rec.Body)
			if string(body) != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("content type %q, want %q", got, tt.wantType)
			}
			if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
				t.Errorf("cache-control %q is not immutable", cc)
			}
		})
	}
}

func TestEmbeddedAssetsPresent(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vendor/htmx.min.js", "css/lagboard.css", "js/lagboard.js"} {
		if _, ok := a.hashed[name]; !ok {
			t.Errorf("asset %s is not embedded (run make assets)", name)
		}
	}
}
