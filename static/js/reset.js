// The reset request form's point in time: typed in the viewer's time zone, sent as UTC.
// Without this script the server reads the typed time as UTC, and the page says so.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // sync copies the datetime-local value, which the browser reads as local time, into
  // the hidden time_utc field as an RFC 3339 instant.
  function sync(form) {
    var local = form.querySelector("input[name=time]");
    var utc = form.querySelector("input[name=time_utc]");
    if (!local || !utc) { return; }
    var d = local.value ? new Date(local.value) : null;
    utc.value = d && !isNaN(d) ? d.toISOString() : "";
  }

  function note(root) {
    var el = root.querySelector("[data-tz-note]");
    if (!el) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "your browser's time zone";
    var off = -new Date().getTimezoneOffset();
    var sign = off < 0 ? "−" : "+";
    off = Math.abs(off);
    var utc = "UTC" + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
    el.textContent = "The time is read in your time zone, " + zone + " (" + utc + " now), to the millisecond, and sent " +
      "to the server as UTC; the preview shows the exact instant used.";
    var label = root.querySelector("[data-tz-label]");
    if (label) { label.textContent = zone + " (" + utc + ")"; }
  }

  // exactScope: "to exact offsets" covers the queues given an offset and no other, so the
  // form says so: only ticked queues, ticked where an offset is given.
  function exactScope(form) {
    var kind = form.querySelector("input[name=kind]:checked");
    var all = form.querySelector("input[name=scope][value=all]");
    var chosen = form.querySelector("input[name=scope][value=chosen]");
    if (!all || !chosen) { return; }
    var exact = !!kind && kind.value === "exact";
    all.disabled = exact;
    if (!exact) { return; }
    chosen.checked = true;
    form.querySelectorAll("input[name^='offset.']").forEach(function (o) {
      var box = document.getElementById("q-" + o.name.slice("offset.".length));
      if (box) { box.checked = o.value.trim() !== ""; }
    });
  }

  function resetForm(el) { return el && el.form && el.form.id === "reset-form" ? el.form : null; }

  function prepare(f) { sync(f); exactScope(f); }

  // Capturing listeners run before htmx's, so a preview request carries the new value.
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var f = resetForm(e.target);
      if (f) { prepare(f); }
    }, true);
  });
  document.addEventListener("submit", function (e) {
    if (e.target && e.target.id === "reset-form") { prepare(e.target); }
  }, true);
  function ready() {
    var f = document.getElementById("reset-form");
    if (f) { note(f); prepare(f); }
  }
  // A reloaded form names the viewer's zone as soon as it is swapped in, not only once it
  // has settled: in between, its point in time would read as UTC.
  document.addEventListener("htmx:afterSwap", ready);
  document.addEventListener("htmx:afterSettle", ready);
  document.addEventListener("DOMContentLoaded", ready);
})();
