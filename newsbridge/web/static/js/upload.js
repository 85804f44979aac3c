// Newsbridge desk: resumable media upload with tus-js-client (vendored), then the publish form.
// The file goes to /api/v1/uploads with the member's session and the page's CSRF token, in parts;
// a dropped connection is retried (HEAD tells where the hub stands, the upload goes on from there),
// and an upload interrupted by closing the page resumes when the same file is chosen again.
(function () {
  "use strict";
  const CHUNK = 8 * 1024 * 1024;
  const RETRIES = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return key in values ? values[key] : ""; });
  }
  function reasonOf(error) {
    const answer = error && error.originalResponse;
    if (answer) {
      try {
        const body = JSON.parse(answer.getBody());
        if (body && body.error && body.error.message) return body.error.message;
      } catch (ignored) { /* not JSON: fall back to the error's own words */ }
    }
    return (error && error.message ? error.message : String(error)).split("\n")[0];
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("media-form");
    if (!form || !window.tus || !window.tus.isSupported) return;
    const input = document.getElementById("media-file");
    const zone = document.getElementById("drop-zone");
    const state = document.getElementById("upload-state");
    const bar = document.getElementById("upload-progress");
    const status = document.getElementById("upload-status");
    const name = document.getElementById("file-name");
    const hidden = document.getElementById("upload-id");
    const pause = document.getElementById("upload-pause");
    const resume = document.getElementById("upload-resume");
    const shots = document.getElementById("shot-list");
    const addShot = document.getElementById("add-shot");
    const msg = form.dataset;
    const percent = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "percent" });
    let current = null;
    let finished = Boolean(hidden.value);
    let failure = null; // the hub's words when the upload was refused: choose another file

    function say(text, kind) {
      status.textContent = text;
      status.className = kind === "error" ? "flash error" : "muted";
    }
    function showShotsFor(file) {
      const type = (file.type || "").split("/")[0];
      shots.hidden = type === "image";
    }
    function start(file) {
      if (current) current.abort();
      finished = false;
      failure = null;
      hidden.value = "";
      state.hidden = false;
      name.textContent = file.name;
      bar.max = file.size || 1;
      bar.value = 0;
      showShotsFor(file);
      if (Number(msg.maxBytes) && file.size > Number(msg.maxBytes)) { say(msg.msgTooBig, "error"); return; }
      const upload = new window.tus.Upload(file, {
        endpoint: "/api/v1/uploads",
        chunkSize: CHUNK,
        retryDelays: RETRIES,
        headers: { "X-CSRF-Token": msg.csrf },
        metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
        removeFingerprintOnSuccess: true,
        onProgress: function (sent, total) {
          bar.max = total || 1;
          bar.value = sent;
          say(fill(msg.msgUploading, { percent: percent.format(total ? sent / total : 1) }));
        },
        onShouldRetry: function (error) {
          const code = error && error.originalResponse ? error.originalResponse.getStatus() : 0;
          // 4xx answers are final (a refused file, a stranger's id), except a conflict the next HEAD settles
          if (code >= 400 && code < 500 && code !== 409 && code !== 423 && code !== 429) return false;
          say(msg.msgRetry);
          return true;
        },
        onError: function (error) {
          failure = fill(msg.msgFailed, { reason: reasonOf(error) });
          say(failure, "error");
          const code = error && error.originalResponse ? error.originalResponse.getStatus() : 0;
          pause.hidden = true;
          resume.hidden = code >= 400 && code < 500; // refused: resuming cannot help, another file can
        },
        onSuccess: function () {
          hidden.value = upload.url.split("/").pop();
          finished = true;
          bar.value = bar.max;
          input.disabled = true; // the bytes are on the hub: the form sends the upload's id, not the file again
          pause.hidden = resume.hidden = true;
          form.classList.add("uploaded");
          say(msg.msgDone);
          details(hidden.value);
        },
      });
      current = upload;
      pause.hidden = false;
      resume.hidden = true;
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    }

    // what the hub read from the file: its kind, and for a photo the caption, creator, credit,
    // copyright and place embedded in it, offered in the fields the member has left empty
    function details(id) {
      fetch("/outgoing/media/uploads/" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : {}; })
        .then(function (found) {
          if (found.kind) shots.hidden = found.kind === "picture" || found.kind === "graphic";
          ["description", "byline", "credit", "copyright", "located"].forEach(function (name) {
            const field = form.elements[name];
            if (field && !field.value && found[name]) {
              field.value = found[name];
              field.classList.add("filled-from-file");
            }
          });
        })
        .catch(function () { /* the form works without it */ });
    }

    input.addEventListener("change", function () { if (input.files.length) start(input.files[0]); });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      const files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) start(files[0]);
    });
    pause.addEventListener("click", function () {
      if (current) current.abort();
      pause.hidden = true;
      resume.hidden = false;
    });
    resume.addEventListener("click", function () {
      if (!current) return;
      failure = null;
      resume.hidden = true;
      pause.hidden = false;
      current.start();
    });
    // back online after the retries gave up: go on from where the hub stands
    window.addEventListener("online", function () { if (current && !finished && pause.hidden) resume.click(); });
    form.addEventListener("submit", function (event) {
      if (current && !finished) { event.preventDefault(); say(failure || msg.msgWait, "error"); }
    });

    // the shot list: one more row on demand (the form shows a few)
    const rows = document.getElementById("shot-rows");
    addShot.hidden = false;
    addShot.addEventListener("click", function () {
      const last = rows.lastElementChild;
      const row = last.cloneNode(true);
      const n = rows.children.length + 1;
      row.querySelectorAll("input").forEach(function (field) {
        field.value = "";
        field.id = field.id.replace(/\d+$/, String(n));
      });
      row.querySelectorAll("label").forEach(function (label) {
        label.htmlFor = label.htmlFor.replace(/\d+$/, String(n));
      });
      rows.appendChild(row);
      row.querySelector("input").focus();
    });
  });
})();
