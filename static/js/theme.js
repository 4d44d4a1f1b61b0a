// Run in <head>, before the page is drawn: the theme chosen with the header's toggle, so
// that it never flashes the other one (without a choice, the stylesheet follows the
// system), and the "js" class, under which the stylesheet folds the header's menu on a
// narrow screen behind a button that js/lagboard.js opens. Without scripts the menu is
// never folded.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  try {
    var t = localStorage.getItem("lagboard-theme");
    if (t === "dark" || t === "light") { document.documentElement.setAttribute("data-theme", t); }
  } catch (e) { /* storage refused: follow the system */ }
})();
