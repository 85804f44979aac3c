// Newsbridge alerts: the unread count in the navigation and the tab title, the alert list kept
// current, and opt-in desktop notifications for withdrawals of items we picked up.
// The count is fetched after the page (a page costs what it cost without alerts) and again when
// the desk's live stream says something arrived, when the tab comes back, and every 30 s.
(function () {
  "use strict";
  var STORE_ON = "nb-desktop-notifications";
  var STORE_SEEN = "nb-notified-alerts";
  var baseTitle = null;
  var lastCount = null;
  var busy = false;

  function store(key, value) {
    try { if (value === undefined) return window.localStorage.getItem(key); window.localStorage.setItem(key, value); }
    catch (e) { return null; }  // storage off (private mode): notifications only for this page's life
    return null;
  }
  function notificationsOn() {
    return "Notification" in window && Notification.permission === "granted" && store(STORE_ON) === "on";
  }
  function notified() {
    try { return JSON.parse(store(STORE_SEEN) || "[]"); } catch (e) { return []; }
  }
  function notify(entries) {
    if (!notificationsOn()) return;
    var seen = notified();
    entries.forEach(function (entry) {
      if (seen.indexOf(entry.key) >= 0) return;
      var shown = new Notification(entry.title, { body: entry.body, tag: entry.key });
      shown.addEventListener("click", function () { window.focus(); window.location = entry.url; });
      seen.push(entry.key);
    });
    store(STORE_SEEN, JSON.stringify(seen.slice(-200)));
  }
  function show(summary) {
    var badge = document.getElementById("alert-count");
    var label = document.getElementById("alert-count-label");
    if (!badge) return;
    badge.textContent = summary.count_text;
    badge.hidden = summary.count === 0;
    if (label) label.textContent = summary.count ? " (" + summary.label + ")" : "";
    document.title = (summary.count ? "(" + summary.count_text + ") " : "") + baseTitle;
    if (lastCount !== null && lastCount !== summary.count) {
      document.body.dispatchEvent(new CustomEvent("alerts-changed"));
    }
    lastCount = summary.count;
    notify(summary.notify || []);
  }
  function refresh() {
    if (busy || !document.getElementById("alert-count")) return;
    busy = true;
    fetch("/alerts/summary", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (summary) { if (summary) show(summary); })
      .catch(function () { /* offline for a moment: the next refresh tries again */ })
      .then(function () { busy = false; });
  }

  function setUpOptIn() {
    var box = document.getElementById("desktop-notify");
    if (!box || !("Notification" in window)) return;
    var text = document.getElementById("desktop-notify-text");
    var button = document.getElementById("desktop-notify-button");
    function render() {
      var on = notificationsOn();
      box.hidden = false;
      box.classList.toggle("on", on);
      if (Notification.permission === "denied") {
        text.textContent = box.dataset.deniedLabel; button.hidden = true; return;
      }
      text.textContent = on ? box.dataset.onLabel : box.dataset.offLabel;
      button.textContent = on ? box.dataset.disableLabel : box.dataset.enableLabel;
      button.hidden = false;
    }
    button.addEventListener("click", function () {
      if (notificationsOn()) { store(STORE_ON, "off"); render(); return; }
      Notification.requestPermission().then(function (permission) {
        if (permission === "granted") store(STORE_ON, "on");
        render();
        lastCount = null;
        refresh();
      });
    });
    render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    baseTitle = document.title;
    setUpOptIn();
    refresh();
    document.body.addEventListener("arrived", refresh);  // the desk's live stream (desk.js)
    document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
    window.setInterval(refresh, 30000);
  });
})();
