// Newsbridge desk: the media upload page. The file goes up resumably (tus-upload.js, shared with the
// project draft editor); once it is in, the form sends the upload's id with the details, and the
// fields the member left empty are offered what the hub read from the file.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("media-form");
    if (!form || !window.NewsbridgeUpload || !window.NewsbridgeUpload.supported) return;
    const input = document.getElementById("media-file");
    const hidden = document.getElementById("upload-id");
    const shots = document.getElementById("shot-list");
    const addShot = document.getElementById("add-shot");
    const msg = form.dataset;

    function showShotsFor(file) {
      const type = (file.type || "").split("/")[0];
      shots.hidden = type === "image";
    }
    const upload = window.NewsbridgeUpload.resumable({
      zone: document.getElementById("drop-zone"), input: input, state: document.getElementById("upload-state"),
      bar: document.getElementById("upload-progress"), status: document.getElementById("upload-status"),
      name: document.getElementById("file-name"), pause: document.getElementById("upload-pause"),
      resume: document.getElementById("upload-resume"),
    }, {
      csrf: msg.csrf,
      maxBytes: Number(msg.maxBytes) || 0,
      words: { uploading: msg.msgUploading, retry: msg.msgRetry, failed: msg.msgFailed, tooBig: msg.msgTooBig,
               done: msg.msgDone },
      onStart: function (file) {
        hidden.value = "";
        showShotsFor(file);
      },
      onDone: function (id) {
        hidden.value = id;
        input.disabled = true; // the bytes are on the hub: the form sends the upload's id, not the file again
        form.classList.add("uploaded");
        details(id);
      },
    });

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

    form.addEventListener("submit", function (event) {
      if (upload.busy()) { // still sending, or refused: the form repeats why instead of publishing without it
        event.preventDefault();
        upload.say(upload.failure() || msg.msgWait, "error");
      }
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
}());
