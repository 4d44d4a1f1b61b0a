// Lagboard's own script: small enhancements only; every page reads fine without it.
(function () {
  "use strict";

  // Show <time datetime="..."> in the viewer's time zone, with UTC in the tooltip.
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  function localTimes(root) {
    root.querySelectorAll("time[datetime][data-local]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      el.title = d.toISOString().replace(".000Z", "Z").replace("T", " ") + " UTC";
      el.textContent = fmt.format(d);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  document.addEventListener("htmx:afterSwap", function (e) { localTimes(e.target); });
})();
