// Newsbridge desk: live updates for the incoming list and keyboard navigation (j/k, Enter).
(function () {
  function rows() { return Array.from(document.querySelectorAll("#row-list .row")); }
  function select(index) {
    const all = rows();
    if (!all.length) return;
    const next = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((r, i) => r.classList.toggle("selected", i === next));
    all[next].scrollIntoView({ block: "nearest" });
    all[next].querySelector("a.headline").focus({ preventScroll: true });
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
    const live = document.querySelector("[data-live]");
    if (!live || !window.EventSource) return;
    const source = new EventSource(live.dataset.live);
    source.addEventListener("arrived", function () {
      document.body.dispatchEvent(new CustomEvent("arrived"));
    });
  });
})();
    // On a phone the filter panel comes first but folded, unless a filter is in use.
    const panel = document.getElementById("filter-panel");
    if (panel && window.matchMedia("(max-width: 760px)").matches && !panel.dataset.active) panel.open = false;
