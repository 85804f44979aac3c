// Newsbridge desk: the unread marker of "Projects" in the navigation (assignments, comments,
// mentions, approvals requested or given, publications the member has not seen on the project's
// page). Fetched after the page, when the tab comes back and every 60 s.
(function () {
  "use strict";
  var busy = false;
  function refresh() {
    var badge = document.getElementById("project-count");
    var label = document.getElementById("project-count-label");
    if (!badge || busy || document.hidden) return;
    busy = true;
    fetch("/projects/summary", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) {
        if (!body) return;
        badge.textContent = body.count_text;
        badge.hidden = body.count === 0;
        label.textContent = body.count ? body.label : "";
      })
      .catch(function () { /* offline: the marker stays as it was */ })
      .then(function () { busy = false; });
  }
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("visibilitychange", refresh);
  window.setInterval(refresh, 60000);
}());
