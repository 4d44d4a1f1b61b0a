package stack

import (
	"context"
	"errors"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium, installed by scripts/deps.sh.
const ChromiumPath = "/usr/bin/chromium"

// BrowserAllocator returns a chromedp allocator for headless Chromium in a fresh profile,
// with the flags that keep it from reaching for the network on its own. Contexts made
// from it with chromedp.NewContext share one browser process.
func BrowserAllocator(parent context.Context) (context.Context, context.CancelFunc, error) {
	if _, err := exec.LookPath(ChromiumPath); err != nil {
		return nil, nil, errors.New("chromium: not installed at " + ChromiumPath + ": run scripts/deps.sh (apt-get install -y chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("no-sandbox", true), // Chromium refuses to run as root with its sandbox
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewExecAllocator(parent, opts...)
	return ctx, cancel, nil
}
