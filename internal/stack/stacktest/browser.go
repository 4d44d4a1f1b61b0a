package stacktest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack"
)

// Tab is a browser tab for one test. Ctx runs chromedp actions in it.
type Tab struct {
	Ctx context.Context
	t   testing.TB

	mu       sync.Mutex
	problems []string
	close    func()
}

var browser once[context.Context]

// Browser opens a new tab in the package's headless Chromium, started on first use. The
// tab records console errors and uncaught exceptions; Problems returns them. The tab is
// closed when the test ends, or by Close; every action in it times out with the test's
// deadline or after two minutes.
func Browser(t testing.TB) *Tab {
	t.Helper()
	bctx := browser.get(t, func(ctx context.Context) (context.Context, error) {
		alloc, cancelAlloc, err := stack.BrowserAllocator(context.Background())
		if err != nil {
			return nil, err
		}
		bctx, cancel := chromedp.NewContext(alloc)
		if err := chromedp.Do(bctx); err != nil { // start the browser now
			cancel()
			cancelAlloc()
			return nil, err
		}
		atExit(func() { cancel(); cancelAlloc() })
		return bctx, nil
	})
	ctx, cancel := chromedp.NewContext(bctx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	tab := &Tab{Ctx: ctx, t: t}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				tab.mu.Lock()
				tab.problems = append(tab.problems, m.String())
				tab.mu.Unlock()
			}
		}
	}()
	tab.close = sync.OnceFunc(func() {
		cancelTimeout()
		cancel()
		<-done
	})
	t.Cleanup(tab.close)
	return tab
}

// Close closes the tab before the test ends, for a test that opens many in turn. The
// browser's cookies stay: a tab opened next is signed in as this one was.
func (tab *Tab) Close() { tab.close() }

// Problems returns the console errors and exceptions seen so far.
func (tab *Tab) Problems() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.problems...)
}

// Screenshot saves a full-page PNG as a test artifact under test-artifacts/ at the
// repository root (or $LAGBOARD_ARTIFACTS) and returns its path.
func (tab *Tab) Screenshot(name string) string {
	tab.t.Helper()
	png, err := chromedp.Run(tab.Ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		tab.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := ArtifactsDir(tab.t)
	path := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(tab.t.Name())+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.t.Fatal(err)
	}
	return path
}

// SaveScreenshot saves a full-page PNG at rel under the artifacts directory (for example
// "screens/admin/overview-390-dark.png") and returns its path.
func (tab *Tab) SaveScreenshot(rel string) string {
	tab.t.Helper()
	png, err := chromedp.Run(tab.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tab.t.Fatalf("screenshot %s: %v", rel, err)
	}
	path := filepath.Join(ArtifactsDir(tab.t), filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tab.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.t.Fatal(err)
	}
	return path
}

// ArtifactsDir returns the directory where tests leave files for people to look at.
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("LAGBOARD_ARTIFACTS")
	if dir == "" {
		root, err := stack.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
