// Newsbridge desk, joint projects kept live. The project page and a deliverable's page listen to the
// project's events (/projects/{id}/live, server-sent; only a member of a participating or observing
// organization gets them) and fetch the parts that changed again: the board, the timeline and the
// activity; a deliverable's status, approvals, revisions and comments. What the member is typing is
// never replaced: a draft someone else saved shows a notice saying who and when (saving then brings
// the conflict view with the merge proposal), and new comments wait behind a button while a reply is
// being written. On a draft, files dropped on the editor (or chosen) upload resumably (tus-upload.js)
// and are attached to the draft as soon as they are in.
(function () {
  "use strict";
  var TYPES = ["project.created", "project.accepted", "project.activated", "project.observer_invited",
               "project.deliverable_added", "project.assigned", "project.status_changed", "project.draft_saved",
               "project.comment", "project.mention", "project.comment_resolved", "project.approval_requested",
               "project.approval_given", "project.approvals_reset", "project.published"];
  var COMMENTS = ["project.comment", "project.mention", "project.comment_resolved"];

  function fill(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (_, key) { return key in values ? values[key] : ""; });
  }
  function digits(n) {
    return new Intl.NumberFormat(document.documentElement.lang || undefined).format(n);
  }

  // --- fetching parts of the page again --------------------------------------------------------------------------
  var wanted = {};
  var forced = {};
  var timer = null;
  var stale = {}; // parts skipped because the member was working in them: tried again when they leave

  function working(element) { // changed but not sent: a text, a date, a choice
    var active = document.activeElement;
    if (active && active !== document.body && element.contains(active)) return true;
    return Array.prototype.some.call(element.querySelectorAll("textarea, input, select"), function (field) {
      if (field.tagName === "SELECT") { // without a selected attribute the first option is the default
        var initial = Array.prototype.findIndex.call(field.options, function (o) { return o.defaultSelected; });
        return field.selectedIndex !== Math.max(initial, 0);
      }
      if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
      if (field.type === "hidden" || field.type === "file" || field.type === "submit") return false;
      return field.value !== field.defaultValue;
    });
  }
  function swap(fresh, id, force) {
    var old = document.getElementById(id);
    var found = fresh.getElementById(id);
    if (!old || !found) return;
    if (!force && working(old)) {
      stale[id] = true;
      if (id === "comment-list") document.getElementById("new-comments").hidden = false;
      return;
    }
    delete stale[id];
    if (id === "comment-list") document.getElementById("new-comments").hidden = true;
    old.replaceWith(document.importNode(found, true));
  }
  function address() { // this page again, without the one-time flash
    var url = new URL(window.location.href);
    url.searchParams.delete("done");
    return url.pathname + url.search;
  }
  function refresh(ids, force) {
    ids.forEach(function (id) { wanted[id] = true; if (force) forced[id] = true; });
    if (timer !== null) return;
    timer = window.setTimeout(function () {
      var now = Object.keys(wanted);
      var strong = forced;
      wanted = {};
      forced = {};
      fetch(address(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (answer) { return answer.ok ? answer.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          now.forEach(function (id) { swap(fresh, id, Boolean(strong[id])); });
        })
        .catch(function () { /* offline: the next event or a reload brings it */ })
        .then(function () {
          timer = null;
          if (Object.keys(wanted).length) refresh([]);
        });
    }, 200);
  }
  document.addEventListener("focusout", function (event) {
    window.setTimeout(function () {
      var ids = Object.keys(stale).filter(function (id) {
        var part = document.getElementById(id);
        return part && part.contains(event.target) && !working(part);
      });
      if (ids.length) refresh(ids);
    }, 0);
  });

  // --- the events -------------------------------------------------------------------------------------------------
  function listen(live) {
    var deliverable = live.dataset.deliverable;
    var language = live.dataset.language;
    var mine = {}; // revisions this page made itself (a file attached): no notice for those
    var held = [];
    var state = { holding: false };

    function base() {
      var field = document.querySelector("#draft-form input[name=base_revision]");
      return Number(field ? field.value : live.dataset.revision) || 0;
    }
    function handle(event) {
      live.textContent = fill(live.dataset.msgUpdated, { what: event.text, time: event.when });
      if (!deliverable) {
        refresh(["board-section", "timeline-section", "activity-section"]);
        return;
      }
      if (event.deliverable !== deliverable) return;
      var ids = ["deliverable-head", "lang-tabs", "approvals-section"];
      var data = event.data || {};
      if (event.type === "project.draft_saved" && data.language === language) {
        ids.push("revisions-section");
        if (!mine[data.revision] && data.revision > base()) {
          if (document.getElementById("draft-form")) {
            document.getElementById("draft-notice-text").textContent = fill(live.dataset.msgChanged, {
              who: event.actor, num: digits(data.revision), time: event.when });
            document.getElementById("draft-notice").hidden = false;
          } else {
            ids.push("draft-view");
            live.dataset.revision = data.revision;
          }
        }
      }
      if (COMMENTS.indexOf(event.type) >= 0) ids.push("comment-list");
      refresh(ids);
    }
    var source = new EventSource(live.dataset.live);
    function received(message) {
      var event;
      try { event = JSON.parse(message.data); } catch (ignored) { return; }
      if (state.holding) held.push(event);
      else handle(event);
    }
    TYPES.forEach(function (type) { source.addEventListener(type, received); });
    source.addEventListener("ended", function () { source.close(); }); // signed out or no longer in the project
    return {
      hold: function () { state.holding = true; },
      release: function () {
        state.holding = false;
        held.splice(0).forEach(handle);
      },
      mine: function (revision) { mine[revision] = true; },
    };
  }

  // --- files dropped on a draft -----------------------------------------------------------------------------------
  function dropZone(zone, live, events) {
    var form = document.getElementById("draft-form");
    var list = document.getElementById("draft-media");
    var msg = zone.dataset;
    var queue = [];
    var attaching = false;
    var uploader;

    function tick(name, value, label) {
      var offered = form.querySelector("input[name=keep_media][value='" + value + "']");
      if (offered && !list.contains(offered)) offered.closest("label").remove(); // no longer on offer: attached
      var row = document.createElement("label");
      row.className = "check";
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = name;
      box.value = value;
      box.checked = true;
      var text = document.createElement("bdi");
      text.textContent = label;
      row.appendChild(box);
      row.appendChild(document.createTextNode(" "));
      row.appendChild(text);
      list.appendChild(row);
    }
    function next() {
      if (!attaching && !uploader.sending() && queue.length) uploader.start(queue.shift());
    }
    function attach(id, file) {
      attaching = true;
      events.hold();
      var body = new FormData();
      body.append("csrf_token", msg.csrf);
      body.append("upload", id);
      body.append("base_revision", String(base()));
      fetch(msg.attach, { method: "POST", body: body, credentials: "same-origin",
                          headers: { "Accept": "application/json" } })
        .then(function (answer) { return answer.json().then(function (json) { return [answer.status, json]; }); })
        .then(function (got) {
          var json = got[1];
          if (got[0] === 200) {
            events.mine(json.revision);
            form.querySelector("input[name=base_revision]").value = json.revision;
            live.dataset.revision = json.revision;
            document.getElementById("draft-revision").textContent = "· " + json.revision_text;
            json.media.filter(function (media) {
              return !list.querySelector("input[value='" + media + "']");
            }).forEach(function (media) { tick("keep_media", media, file.name); });
            uploader.say(fill(msg.msgAttached, { revision: json.revision_text }));
          } else if (got[0] === 409) {
            tick("upload", id, file.name);
            uploader.say(msg.msgKept);
          } else {
            queue = [];
            uploader.say(fill(msg.msgFailed, { reason: (json.error && json.error.message) || got[0] }), "error");
          }
        })
        .catch(function () { // the answer was lost: the upload is in, the member's save attaches it
          tick("upload", id, file.name);
          uploader.say(msg.msgKept);
        })
        .then(function () {
          attaching = false;
          events.release();
          next();
        });
    }
    function base() {
      return Number(form.querySelector("input[name=base_revision]").value) || 0;
    }

    uploader = window.NewsbridgeUpload.resumable({
      zone: zone, input: document.getElementById("media-file"), state: document.getElementById("upload-state"),
      bar: document.getElementById("upload-progress"), status: document.getElementById("upload-status"),
      name: document.getElementById("file-name"), pause: document.getElementById("upload-pause"),
      resume: document.getElementById("upload-resume"),
    }, {
      csrf: msg.csrf,
      words: { uploading: msg.msgUploading, retry: msg.msgRetry, failed: msg.msgFailed, done: msg.msgDone },
      onFiles: function (files) {
        queue = queue.concat(files);
        next();
      },
      onDone: attach,
      onFailed: function () { queue = []; },
    });
    zone.hidden = false;
    form.addEventListener("submit", function (event) {
      if (uploader.sending() || attaching) { // a refused file does not hold the draft back
        event.preventDefault();
        uploader.say(msg.msgWait, "error");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("live-status");
    if (!live || !window.EventSource) return;
    var events = listen(live);
    var more = document.getElementById("show-comments");
    if (more) more.addEventListener("click", function () { refresh(["comment-list"], true); });
    var zone = document.getElementById("drop-zone");
    if (zone && document.getElementById("draft-form") && window.NewsbridgeUpload && window.NewsbridgeUpload.supported) {
      dropZone(zone, live, events);
    }
  });
}());
