package stacktest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, pinned in package-lock.json and copied here by `make assets`. It is
// injected into pages by tests only; the dashboard never serves it.
//
//go:embed axe/axe.min.js
var axeSource string

// Viewport sets the tab's window to width × height CSS pixels; the page reflows.
func (tab *Tab) Viewport(width, height int64) error {
	_, err := chromedp.Run(tab.Ctx, chromedp.EmulateViewport(width, height))
	return err
}

// ColorScheme makes the page see prefers-color-scheme as "light" or "dark".
func (tab *Tab) ColorScheme(scheme string) error {
	_, err := chromedp.Run(tab.Ctx, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
	return err
}

// AxeViolation is a rule axe-core found broken on a page, with the elements that break it.
type AxeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (v AxeViolation) String() string {
	t := v.Targets
	if len(t) > 3 {
		t = append(t[:3:3], fmt.Sprintf("and %d more", len(v.Targets)-3))
	}
	return fmt.Sprintf("%s (%s): %s: %s", v.ID, v.Impact, v.Help, strings.Join(t, ", "))
}

// Axe runs axe-core's WCAG 2.x A and AA rules and its best practices on the page as it is,
// or only the rules named, and returns the violations whose impact is serious or critical.
func (tab *Tab) Axe(rules ...string) ([]AxeViolation, error) {
	// Evaluated through the DevTools protocol, which the page's content security policy
	// does not govern.
	loaded, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if err != nil {
		return nil, fmt.Errorf("inject axe-core: %w", err)
	}
	if !loaded {
		if _, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[chromedp.Void](axeSource+";undefined")); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	only := `{type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}`
	if len(rules) > 0 {
		b, err := json.Marshal(rules)
		if err != nil {
			return nil, err
		}
		only = `{type: "rule", values: ` + string(b) + `}`
	}
	out, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[[]AxeViolation](`axe.run(document, {
			runOnly: `+only+`,
			resultTypes: ["violations"],
		}).then(r => r.violations
			.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help,
				targets: v.nodes.map(n => n.target.join(" ") + (n.failureSummary ? " — " + n.failureSummary.split("\n").slice(1).join(" ").trim() : ""))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	return out, nil
}

// LayoutProblems are what a page's layout gets wrong as laid out in the tab now.
type LayoutProblems struct {
	// Overflow is how many CSS pixels the page body is wider than the window (0 when it fits).
	Overflow int `json:"overflow"`
	// Wide names the innermost elements that stick out of the window, when Overflow > 0.
	Wide []string `json:"wide"`
	// Overlaps are pairs of texts (headings, table cells, badges, labels, links, buttons in
	// the window) whose boxes overlap, each described by its element and text.
	Overlaps []string `json:"overlaps"`
	// Broken are texts broken inside words: an element whose text wraps onto more lines
	// than it has words, as a name squeezed letter by letter does.
	Broken []string `json:"broken"`
}

// Layout checks the page as laid out: horizontal overflow of the body, and text boxes in
// the window that overlap, clipped to the scrolling boxes they sit in. Texts nested in
// each other are not compared.
func (tab *Tab) Layout() (LayoutProblems, error) {
	return chromedp.Run(tab.Ctx, chromedp.Evaluate[LayoutProblems](layoutJS))
}

const layoutJS = `(() => {
  const doc = document.documentElement;
  const overflow = Math.max(0, document.body.scrollWidth - doc.clientWidth);
  const vw = doc.clientWidth, vh = window.innerHeight;
  const sel = "h1, h2, h3, th, td, dt, dd, .badge, label, button, a, summary, legend, p, li";
  const describe = el => el.tagName.toLowerCase() + (el.dataset.testid ? "[" + el.dataset.testid + "]" : "") +
    " " + JSON.stringify(el.textContent.trim().replace(/\s+/g, " ").slice(0, 40));
  // The box of an element's own text, clipped to every box that scrolls or hides overflow
  // around it; null when nothing of it shows in the window.
  const textBox = el => {
    const r = document.createRange();
    let box = null;
    for (const n of el.childNodes) {
      if (n.nodeType !== Node.TEXT_NODE || !n.textContent.trim()) { continue; }
      r.selectNodeContents(n);
      for (const b of r.getClientRects()) {
        if (b.width < 1 || b.height < 1) { continue; }
        box = box ? {l: Math.min(box.l, b.left), t: Math.min(box.t, b.top), r: Math.max(box.r, b.right), b: Math.max(box.b, b.bottom)}
                  : {l: b.left, t: b.top, r: b.right, b: b.bottom};
      }
    }
    if (!box) { return null; }
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== "visible" || s.overflowY !== "visible") {
        const c = p.getBoundingClientRect();
        box = {l: Math.max(box.l, c.left), t: Math.max(box.t, c.top), r: Math.min(box.r, c.right), b: Math.min(box.b, c.bottom)};
      }
    }
    box = {l: Math.max(box.l, 0), t: Math.max(box.t, 0), r: Math.min(box.r, vw), b: Math.min(box.b, vh)};
    return box.r - box.l >= 1 && box.b - box.t >= 1 ? box : null;
  };
  const visible = el => {
    // A closed <details> lays out nothing but its summary.
    const closed = el.closest("details:not([open])");
    if (closed && !el.closest("summary")) { return false; }
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || s.opacity === "0") { return false; }
    }
    return !el.closest(".skip, .sr-only, .u-legend, [hidden]");
  };
  const items = [];
  for (const el of document.querySelectorAll(sel)) {
    if (!visible(el)) { continue; }
    const box = textBox(el);
    if (box) { items.push({el, box}); }
  }
  const overlaps = [];
  for (let i = 0; i < items.length && overlaps.length < 10; i++) {
    for (let j = i + 1; j < items.length && overlaps.length < 10; j++) {
      const a = items[i], b = items[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) { continue; }
      const w = Math.min(a.box.r, b.box.r) - Math.max(a.box.l, b.box.l);
      const h = Math.min(a.box.b, b.box.b) - Math.max(a.box.t, b.box.t);
      if (w > 2 && h > 2) { overlaps.push(describe(a.el) + " overlaps " + describe(b.el)); }
    }
  }
  const broken = [];
  for (const {el} of items) {
    if (broken.length >= 10) { break; }
    // Names break at their hyphens, dots and slashes as well as at spaces.
    const words = el.textContent.trim().split(/[\s\-_.\/@#:]+/).filter(w => w.length > 0);
    const longest = words.reduce((m, w) => Math.max(m, w.length), 0);
    if (longest < 4) { continue; }
    const r = document.createRange();
    r.selectNodeContents(el);
    const lines = new Set(Array.from(r.getClientRects()).filter(b => b.width >= 1).map(b => Math.round(b.top)));
    if (lines.size > words.length + 1) { broken.push(describe(el) + " wraps onto " + lines.size + " lines"); }
  }
  const wide = [];
  if (overflow > 0) {
    const scrolls = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const st = getComputedStyle(p); if (st.overflowX !== "visible") { return true; } } return false; };
    for (const el of document.body.querySelectorAll("*")) {
      if (el.getBoundingClientRect().right > vw + 1 && !scrolls(el)) { wide.push(describe(el)); }
    }
  }
  return {overflow, overlaps, broken, wide: wide.slice(-3)};
})()`
