// The theme chosen with the header's toggle, applied before the page is drawn so that it
// never flashes the other one. Without a choice, the stylesheet follows the system.
(function () {
  "use strict";
  try {
    var t = localStorage.getItem("lagboard-theme");
    if (t === "dark" || t === "light") { document.documentElement.setAttribute("data-theme", t); }
  } catch (e) { /* storage refused: follow the system */ }
})();
