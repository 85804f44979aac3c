// Newsbridge desk: a resumable media upload with tus-js-client (vendored), shared by the media upload
// page (upload.js) and a joint project's draft editor (projects-live.js).
// The file goes to /api/v1/uploads with the member's session and the page's CSRF token, in parts;
// a dropped connection is retried (HEAD tells where the hub stands, the upload goes on from there),
// and an upload interrupted by closing the page resumes when the same file is chosen again.
// The page gives the parts (drop zone, file button, progress bar, status line, pause and resume
// buttons) and its words; the module calls onStart(file) and onDone(uploadId, file).
(function () {
  "use strict";
  const CHUNK = 8 * 1024 * 1024;
  const RETRIES = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];

  function fill(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (_, key) { return key in values ? values[key] : ""; });
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
  function statusOf(error) {
    return error && error.originalResponse ? error.originalResponse.getStatus() : 0;
  }

  // parts: {zone, input, state, bar, status, name, pause, resume}; options: {csrf, maxBytes, words:
  // {uploading, retry, failed, tooBig, done}, onStart(file), onDone(id, file), onFiles(files)}.
  // onFiles, when given, receives every file chosen or dropped (the page queues them and calls start).
  function resumable(parts, options) {
    const words = options.words;
    const percent = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "percent" });
    let current = null;
    let finished = true;
    let failure = null; // the hub's words when the upload was refused: choose another file

    function say(text, kind) {
      parts.status.textContent = text;
      parts.status.className = kind === "error" ? "flash error" : "muted";
    }
    function start(file) {
      if (current) current.abort();
      finished = false;
      failure = null;
      parts.state.hidden = false;
      parts.name.textContent = file.name;
      parts.bar.max = file.size || 1;
      parts.bar.value = 0;
      if (options.onStart) options.onStart(file);
      if (options.maxBytes && file.size > options.maxBytes) {
        failure = words.tooBig;
        say(words.tooBig, "error");
        return;
      }
      const upload = new window.tus.Upload(file, {
        endpoint: "/api/v1/uploads",
        chunkSize: CHUNK,
        retryDelays: RETRIES,
        headers: { "X-CSRF-Token": options.csrf },
        metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
        removeFingerprintOnSuccess: true,
        onProgress: function (sent, total) {
          parts.bar.max = total || 1;
          parts.bar.value = sent;
          say(fill(words.uploading, { percent: percent.format(total ? sent / total : 1) }));
        },
        onShouldRetry: function (error) {
          const code = statusOf(error);
          // 4xx answers are final (a refused file, a stranger's id), except a conflict the next HEAD settles
          if (code >= 400 && code < 500 && code !== 409 && code !== 423 && code !== 429) return false;
          say(words.retry);
          return true;
        },
        onError: function (error) {
          failure = fill(words.failed, { reason: reasonOf(error) });
          say(failure, "error");
          const code = statusOf(error);
          parts.pause.hidden = true;
          parts.resume.hidden = code >= 400 && code < 500; // refused: resuming cannot help, another file can
          if (options.onFailed) options.onFailed(file);
        },
        onSuccess: function () {
          finished = true;
          parts.bar.value = parts.bar.max;
          parts.pause.hidden = parts.resume.hidden = true;
          say(words.done);
          if (options.onDone) options.onDone(upload.url.split("/").pop(), file);
        },
      });
      current = upload;
      parts.pause.hidden = false;
      parts.resume.hidden = true;
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    }
    function chosen(files) {
      if (!files || !files.length) return;
      if (options.onFiles) options.onFiles(Array.from(files));
      else start(files[0]);
    }

    parts.input.addEventListener("change", function () { chosen(parts.input.files); });
    ["dragenter", "dragover"].forEach(function (type) {
      parts.zone.addEventListener(type, function (event) { event.preventDefault(); parts.zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      parts.zone.addEventListener(type, function () { parts.zone.classList.remove("dragging"); });
    });
    parts.zone.addEventListener("drop", function (event) {
      event.preventDefault();
      chosen(event.dataTransfer && event.dataTransfer.files);
    });
    parts.pause.addEventListener("click", function () {
      if (current) current.abort();
      parts.pause.hidden = true;
      parts.resume.hidden = false;
    });
    parts.resume.addEventListener("click", function () {
      if (!current) return;
      failure = null;
      parts.resume.hidden = true;
      parts.pause.hidden = false;
      current.start();
    });
    // back online after the retries gave up: go on from where the hub stands
    window.addEventListener("online", function () {
      if (current && !finished && parts.pause.hidden) parts.resume.click();
    });
    return {
      start: start,
      say: say,
      busy: function () { return current !== null && !finished; }, // sending, paused, or refused
      sending: function () { return current !== null && !finished && failure === null; },
      failure: function () { return failure; },
    };
  }

  window.NewsbridgeUpload = { resumable: resumable, fill: fill, supported: Boolean(window.tus && window.tus.isSupported) };
}());
