// The lag history chart of a group's page, drawn with uPlot from the JSON route next to
// the page. It refreshes its data at the poll interval and redraws on resize and when the
// system switches between light and dark. A range link swaps the chart's fragment with
// htmx; the new one is picked up after the swap settles.
(function () {
  "use strict";
  if (typeof uPlot !== "function") { return; }
  var el = null, status = null, plot = null, data = null, resets = [];
  var loads = 0; // answers to older loads (another range) are dropped

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function messages(v) {
    return v == null ? "unknown" : Math.round(v).toLocaleString();
  }
  function short(v) {
    if (v == null) { return ""; }
    var a = Math.abs(v);
    if (a >= 1e6) { return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M"; }
    if (a >= 1e3) { return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k"; }
    return String(Math.round(v));
  }
  function age(v) {
    if (v == null) { return "unknown"; }
    if (v < 10) { return (Math.round(v * 10) / 10) + " s"; }
    if (v < 60) { return Math.round(v) + " s"; }
    if (v < 600) { return (Math.round(v / 6) / 10) + " min"; }
    if (v < 3600) { return Math.round(v / 60) + " min"; }
    if (v < 86400) { return (v / 3600).toFixed(1) + " h"; }
    return (v / 86400).toFixed(1) + " d";
  }
  function upper(u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; }

  // The zone the time axis is drawn in, the viewer's, named as the reset pages name it.
  function zoneName() {
    try {
      var p = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(new Date());
      for (var i = 0; i < p.length; i++) { if (p[i].type === "timeZoneName") { return p[i].value; } }
    } catch (e) { /* an old browser: the axis goes unnamed */ }
    return "";
  }

  // Offset resets are vertical lines across the plot.
  function drawResets(u) {
    if (!resets.length) { return; }
    var ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = cssVar("--err");
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    resets.forEach(function (r) {
      var x = Math.round(u.valToPos(r.at, "x", true));
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
    });
    ctx.restore();
  }

  function build() {
    if (plot) { plot.destroy(); }
    var muted = cssVar("--muted"), grid = cssVar("--border");
    plot = new uPlot({
      width: Math.max(el.clientWidth, 280),
      height: 260,
      series: [
        { label: zoneName() ? "Time (" + zoneName() + ")" : "Time" },
        { label: "Lag (messages)", scale: "msg", stroke: cssVar("--accent"), width: 2,
          value: function (u, v) { return messages(v); } },
        { label: "Lag in time", scale: "s", stroke: cssVar("--warn"), width: 2, dash: [5, 3],
          value: function (u, v) { return age(v); } },
      ],
      scales: { x: { time: true }, msg: { range: upper }, s: { range: upper } },
      axes: [
        { stroke: muted, grid: { stroke: grid }, ticks: { stroke: grid } },
        { scale: "msg", stroke: muted, grid: { stroke: grid }, ticks: { stroke: grid }, size: 60,
          values: function (u, vals) { return vals.map(short); } },
        { scale: "s", side: 1, stroke: muted, grid: { show: false }, ticks: { stroke: grid }, size: 60,
          values: function (u, vals) { return vals.map(age); } },
      ],
      hooks: { draw: [drawResets] },
    }, data, el);
  }

  function show(d) {
    data = [d.t, d.lag, d.seconds];
    resets = d.resets || [];
    el.dataset.resets = String(resets.length);
    var last = null;
    for (var i = d.lag.length - 1; i >= 0; i--) {
      if (d.lag[i] != null) { last = d.lag[i]; break; }
    }
    el.dataset.points = String(d.t.length);
    el.dataset.lastLag = last == null ? "" : String(last);
    if (last == null) {
      status.textContent = "No lag history is stored for this range yet.";
      status.hidden = false;
    } else {
      status.hidden = true;
    }
    if (plot) { plot.setData(data); } else { build(); }
  }

  function load() {
    var n = ++loads;
    fetch(el.dataset.src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (d) { if (n === loads) { show(d); } })
      .catch(function () {
        if (n !== loads) { return; }
        status.textContent = "The lag history could not be loaded; retrying at the next refresh.";
        status.hidden = false;
      });
  }

  var resized = typeof ResizeObserver === "function" ? new ResizeObserver(function () {
    if (plot) { plot.setSize({ width: Math.max(el.clientWidth, 280), height: 260 }); }
  }) : null;

  // attach takes the chart element on the page, if it is a new one, and loads its data.
  function attach() {
    var next = document.getElementById("lag-chart");
    if (!next || next === el) { return; }
    if (plot) { plot.destroy(); plot = null; }
    if (resized && el) { resized.unobserve(el); }
    el = next;
    status = el.querySelector(".chart-status");
    data = null;
    resets = [];
    if (resized) { resized.observe(el); }
    load();
  }

  attach();
  if (!el) { return; }
  var every = parseInt(el.dataset.every, 10);
  setInterval(load, every > 0 ? Math.max(every, 1000) : 10000);
  document.addEventListener("htmx:afterSettle", attach);
  document.addEventListener("htmx:historyRestore", attach);
  // htmx keeps a copy of the page for Back; uPlot's markup has style attributes, which the
  // content security policy refuses when the copy is put back. The copy goes without it.
  document.addEventListener("htmx:beforeHistorySave", function () {
    if (plot) { plot.destroy(); plot = null; }
  });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
    if (data) { build(); }
  });
})();
