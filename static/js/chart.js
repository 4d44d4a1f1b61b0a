// The lag history chart of a group's page, drawn with uPlot from the JSON route next to
// the page. It refreshes its data at the poll interval and redraws on resize and when the
// theme changes (the system's or the header's toggle). A range with no known value draws no
// chart, only a sentence. Ticks are chosen for the range and the width: whole messages,
// round durations, times of day at least 100 px apart. A range link swaps the chart's fragment with
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

  // Ticks of a value axis: steps of 1, 2 or 5 times a power of ten, whole messages at
  // least, about one per 50 px.
  function countSplits(u, axis, min, max) {
    var n = Math.max(2, Math.floor(u.bbox.height / devicePixelRatio / 50));
    var raw = Math.max((max - min) / n, 1), p = Math.pow(10, Math.floor(Math.log10(raw))), step = 10 * p;
    [1, 2, 5].some(function (m) { if (m * p >= raw) { step = m * p; return true; } return false; });
    return steps(min, max, step);
  }
  // Ticks of the lag in time: round durations.
  var durations = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000];
  function durationSplits(u, axis, min, max) {
    var n = Math.max(2, Math.floor(u.bbox.height / devicePixelRatio / 50)), raw = (max - min) / n;
    var step = durations[durations.length - 1];
    durations.some(function (d) { if (d >= raw) { step = d; return true; } return false; });
    return steps(min, max, step);
  }
  function steps(min, max, step) {
    var out = [];
    for (var v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) { out.push(v); }
    return out;
  }
  // Ticks of the time axis: a round step of the viewer's clock at least 100 px apart,
  // whatever the range; midnight, and the first tick, also say the day.
  var clock = [300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
  var minGap = 100;
  function timeSplits(u, axis, min, max) {
    var width = u.bbox.width / devicePixelRatio, perPx = (max - min) / Math.max(width, 1);
    var step = clock[clock.length - 1];
    clock.some(function (c) { if (c / perPx >= minGap) { step = c; return true; } return false; });
    var off = new Date(min * 1000).getTimezoneOffset() * 60; // local time = UTC - off
    var first = Math.ceil((min - off) / step) * step + off, out = [];
    if (step >= 86400) { // whole days: local midnights
      var d = new Date(min * 1000);
      d.setHours(24, 0, 0, 0);
      for (var k = 0; d.getTime() / 1000 <= max; k++) {
        if (k % (step / 86400) === 0) { out.push(d.getTime() / 1000); }
        d.setDate(d.getDate() + 1);
      }
      return out;
    }
    for (var t = first; t <= max; t += step) { out.push(t); }
    return out;
  }
  var hm = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  var day = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
  function timeValues(u, splits) {
    var prev = null;
    return splits.map(function (t, i) {
      var d = new Date(t * 1000), label;
      if (splits.length > 1 && splits[1] - splits[0] >= 86400) {
        label = day.format(d);
      } else {
        label = hm.format(d);
        if (i === 0 || (prev && prev.getDate() !== d.getDate())) { label += "\n" + day.format(d); }
      }
      prev = d;
      return label;
    });
  }
  // After each draw the chart records its x tick labels and their smallest gap, which the
  // browser tests read: labels that run into each other fail them.
  function recordTicks(u) {
    var xs = u.axes[0]._splits || [], vals = u.axes[0]._values || [];
    var gap = Infinity;
    for (var i = 1; i < xs.length; i++) {
      gap = Math.min(gap, u.valToPos(xs[i], "x") - u.valToPos(xs[i - 1], "x"));
    }
    el.dataset.xticks = vals.join("|").replace(/\n/g, " ");
    el.dataset.xgap = isFinite(gap) ? String(Math.round(gap)) : "";
    el.dataset.yticks = (u.axes[1]._values || []).join("|");
  }

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
    el.dataset.stroke = cssVar("--accent"); // the theme it is drawn in, for the tests
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
        { stroke: muted, grid: { stroke: grid }, ticks: { stroke: grid }, size: 48,
          splits: timeSplits, values: timeValues },
        { scale: "msg", stroke: muted, grid: { stroke: grid }, ticks: { stroke: grid }, size: 60,
          splits: countSplits, values: function (u, vals) { return vals.map(short); } },
        { scale: "s", side: 1, stroke: muted, grid: { show: false }, ticks: { stroke: grid }, size: 60,
          splits: durationSplits, values: function (u, vals) { return vals.map(age); } },
      ],
      hooks: { draw: [drawResets, recordTicks] },
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
      // No axes without values: a sentence says what there is.
      if (plot) { plot.destroy(); plot = null; }
      status.textContent = el.dataset.empty || "No lag history is stored for this range yet.";
      status.hidden = false;
      el.dataset.state = "empty";
      return;
    }
    status.hidden = true;
    if (plot) { plot.setData(data); } else { build(); }
    el.dataset.state = "drawn";
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
        el.dataset.state = "failed";
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
  document.addEventListener("lagboard:theme", function () {
    if (plot) { build(); }
  });
})();
