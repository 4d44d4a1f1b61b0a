// Lagboard's own script: small enhancements only; every page reads fine without it.
(function () {
  "use strict";

  // Show <time datetime="..." data-local> in the viewer's time zone, the zone named, with
  // UTC in the tooltip; data-ms adds the milliseconds (a reset's point in time).
  var parts = {
    year: "numeric", month: "short", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
  };
  var fmt = new Intl.DateTimeFormat(undefined, parts);
  var fmtMs = new Intl.DateTimeFormat(undefined, Object.assign({ fractionalSecondDigits: 3 }, parts));
  function localTimes(root) {
    root.querySelectorAll("time[datetime][data-local]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      var ms = el.hasAttribute("data-ms");
      el.title = (ms ? d.toISOString() : d.toISOString().replace(/\.\d{3}Z$/, "Z")).replace("T", " ").replace("Z", " UTC");
      el.textContent = (ms ? fmtMs : fmt).format(d);
    });
  }

  // "Updated N s ago" stays true between refreshes; the wording matches the server's.
  function duration(s) {
    if (s < 60) { return Math.floor(s) + " s"; }
    if (s < 3600) { return Math.floor(s / 60) + " min"; }
    if (s < 86400) {
      var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
      return m ? h + " h " + m + " min" : h + " h";
    }
    var d = Math.floor(s / 86400), hh = Math.floor(s / 3600) % 24;
    return hh ? d + " d " + hh + " h" : d + " d";
  }
  function ages() {
    var now = Date.now();
    document.querySelectorAll("time[datetime][data-ago]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(t)) { el.textContent = duration(Math.max(now - t, 0) / 1000) + " ago"; }
    });
  }

  // The header's theme toggle: it says whether the dark theme is on, and switching it
  // remembers the choice in this browser (js/theme.js applies it before the next paint).
  var system = window.matchMedia("(prefers-color-scheme: dark)");
  function dark() {
    var t = document.documentElement.getAttribute("data-theme");
    return t ? t === "dark" : system.matches;
  }
  function themeChanged() {
    var b = document.getElementById("theme-toggle");
    if (b) { b.setAttribute("aria-pressed", String(dark())); }
    document.dispatchEvent(new CustomEvent("lagboard:theme"));
  }
  system.addEventListener("change", themeChanged);
  document.addEventListener("click", function (e) {
    var b = e.target && e.target.closest ? e.target.closest("#theme-toggle") : null;
    if (!b) { return; }
    var next = dark() ? "light" : "dark";
    document.documentElement.setAttribute("data-theme", next);
    try { localStorage.setItem("lagboard-theme", next); } catch (err) { /* kept for this page only */ }
    themeChanged();
  });

  // The header's menu, folded behind its button on a narrow screen (the stylesheet decides
  // when): the button opens and closes it and says which (aria-expanded); Escape closes it
  // and puts the focus back on the button.
  function menuButton() { return document.getElementById("menu-toggle"); }
  function setMenu(open) {
    var b = menuButton();
    if (b) { b.setAttribute("aria-expanded", String(open)); }
  }
  document.addEventListener("click", function (e) {
    var b = e.target && e.target.closest ? e.target.closest("#menu-toggle") : null;
    if (b) { setMenu(b.getAttribute("aria-expanded") !== "true"); }
  });
  document.addEventListener("keydown", function (e) {
    var b = menuButton();
    if (e.key !== "Escape" || !b || b.getAttribute("aria-expanded") !== "true") { return; }
    var inMenu = e.target === b || (e.target.closest && e.target.closest("#top-menu"));
    if (!inMenu) { return; }
    setMenu(false);
    if (b.offsetParent !== null) { b.focus(); }
  });

  // Live regions are replaced whole. The values marked data-announce are read out when a
  // refresh changes them, through the page's polite announcer: the reader hears the new
  // figure and keeps their place and focus. They are compared with what the page last
  // showed, not with a copy taken before each swap: refreshes may overlap (the live
  // region's timer, a part loaded late, a chart range), and a swap that starts before
  // another has settled would otherwise take the new figure for the old one and never
  // read it out.
  function announced() {
    var out = {};
    document.querySelectorAll("[data-announce]").forEach(function (el) {
      out[el.getAttribute("data-announce")] = el.textContent.replace(/\s+/g, " ").trim();
    });
    return out;
  }
  var shown = announced();
  // Live tables keep their scroll where the reader left it. (htmx itself puts the focus
  // back on the element with the same id.) Positions are followed as the reader scrolls,
  // so that overlapping swaps cannot record a fresh table's top as theirs.
  var scrolls = {};
  document.addEventListener("scroll", function (e) {
    var el = e.target;
    if (el && el.id && el.matches && el.matches(".table-wrap")) { scrolls[el.id] = [el.scrollLeft, el.scrollTop]; }
  }, true);
  document.addEventListener("htmx:afterSettle", function () {
    Object.keys(scrolls).forEach(function (id) {
      var el = document.getElementById(id);
      if (el && (el.scrollLeft !== scrolls[id][0] || el.scrollTop !== scrolls[id][1])) {
        el.scrollLeft = scrolls[id][0]; el.scrollTop = scrolls[id][1];
      }
    });
    localTimes(document);
    ages();
    var now = announced(), changed = [];
    Object.keys(now).forEach(function (k) {
      if (k in shown && shown[k] !== now[k]) { changed.push(k + " " + now[k]); }
      shown[k] = now[k];
    });
    var a = document.getElementById("announcer");
    if (a && changed.length) { a.textContent = "Updated: " + changed.join("; ") + "."; }
  });
  // Back restores an older copy of the page: later refreshes are compared with what it shows.
  document.addEventListener("htmx:historyRestore", function () { shown = announced(); });
  // A failed refresh leaves the old figures in place; say so until the next one succeeds.
  function refreshFailed(e) {
    var region = e.target && e.target.closest ? e.target.closest(".live-region") : null;
    var banner = region && region.querySelector("[data-testid=refresh-error]");
    if (banner) { banner.hidden = false; }
  }
  document.addEventListener("htmx:responseError", refreshFailed);
  document.addEventListener("htmx:sendError", refreshFailed);

  document.addEventListener("DOMContentLoaded", function () {
    var b = document.getElementById("theme-toggle");
    if (b) { b.hidden = false; b.setAttribute("aria-pressed", String(dark())); }
    localTimes(document);
    ages();
    setInterval(ages, 1000);
  });
})();
