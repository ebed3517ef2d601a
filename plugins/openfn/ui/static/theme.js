// Follows Airflow's colour mode: the parent UI's <html class="dark|light"> when shown in Airflow,
// else Airflow's saved choice (localStorage "theme"), else the system's (prefers-color-scheme).
// Loaded before the stylesheet so the page never flashes in the wrong mode.
(function () {
  "use strict";
  var root = document.documentElement;
  var system = window.matchMedia("(prefers-color-scheme: dark)");

  function parentMode() {
    try {
      if (window.parent === window) return null;
      var list = window.parent.document.documentElement.classList;
      if (list.contains("dark")) return "dark";
      if (list.contains("light")) return "light";
    } catch (e) { /* not same-origin: ignore */ }
    return null;
  }

  function savedMode() {
    try {
      var saved = window.localStorage.getItem("theme");
      return saved === "dark" || saved === "light" ? saved : null;
    } catch (e) { return null; }
  }

  function apply() {
    var mode = parentMode() || savedMode() || (system.matches ? "dark" : "light");
    if (root.dataset.theme !== mode) {
      root.dataset.theme = mode;
      root.style.colorScheme = mode;
    }
  }

  apply();
  system.addEventListener("change", apply);
  window.addEventListener("storage", function (event) { if (event.key === "theme") apply(); });
  try {
    if (window.parent !== window) {
      new MutationObserver(apply).observe(window.parent.document.documentElement, { attributes: true, attributeFilter: ["class"] });
    }
  } catch (e) { /* not same-origin */ }
})();
