// Newsbridge desk: live updates for the incoming list and keyboard navigation (j/k, Enter).
(function () {
  // rows folded inside a closed story group are skipped until the group is opened
  function rows() { return Array.from(document.querySelectorAll("#row-list .row")).filter((r) => !r.closest("details:not([open])")); }
  function select(index) {
    const all = rows();
    if (!all.length) return;
    const next = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((r, i) => r.classList.toggle("selected", i === next));
    all[next].scrollIntoView({ block: "nearest" });
    all[next].querySelector("a.headline").focus({ preventScroll: true });
    preview(all[next]);
  }
  // The preview pane (wide screens): the selected item, read from /items/<id>/preview; a late
  // answer for a row no longer selected is dropped.
  function preview(row) {
    const pane = document.getElementById("preview");
    if (!pane || window.getComputedStyle(pane).display === "none") return;
    const href = row.dataset.href;
    pane.dataset.href = href;
    pane.setAttribute("aria-busy", "true");
    fetch(href + "/preview", { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (pane.dataset.href !== href || html === null) return;
        pane.innerHTML = html;
        pane.scrollTop = 0;
      })
      .catch(function () { /* the row's link still opens the item */ })
      .then(function () { pane.removeAttribute("aria-busy"); });
  }
  function current() { return rows().findIndex((r) => r.classList.contains("selected")); }
  document.addEventListener("keydown", function (event) {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.key === "j") { select(current() + 1); event.preventDefault(); }
    if (event.key === "k") { select(current() - 1); event.preventDefault(); }
    if (event.key === "Enter" && current() >= 0 && tag !== "a") {
      window.location = rows()[current()].dataset.href; event.preventDefault();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    // On a phone the filter panel comes first but folded, unless a filter is in use.
    const panel = document.getElementById("filter-panel");
    if (panel && window.matchMedia("(max-width: 760px)").matches && !panel.dataset.active) panel.open = false;
    const live = document.querySelector("[data-live]");
    if (!live || !window.EventSource) return;
    const source = new EventSource(live.dataset.live);
    source.addEventListener("arrived", function () {
      document.body.dispatchEvent(new CustomEvent("arrived"));
    });
    source.addEventListener("ended", function () { source.close(); });  // signed out, deactivated or suspended
  });
})();
