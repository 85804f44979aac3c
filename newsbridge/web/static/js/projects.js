// Newsbridge desk, joint projects: the draft editor's formatting toolbar and the shot list's rows.
// The body is HTML kept in a textarea (it works without script); with script the textarea is
// replaced by an editable area whose HTML is copied back before the form is sent. The hub
// sanitizes the body whatever arrives.
(function () {
  "use strict";
  var BLOCKS = { h2: "h2", quote: "blockquote" };

  function editorFor(source) {
    var area = document.createElement("div");
    area.className = "body-editor";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    area.setAttribute("aria-labelledby", source.id + "-label");
    area.dir = source.closest("[dir]") ? source.closest("[dir]").dir : "auto";
    if (source.lang) area.lang = source.lang; // the draft's language, whatever the page's
    area.innerHTML = source.value || "<p><br></p>";
    source.hidden = true;
    source.parentNode.insertBefore(area, source);
    var label = document.querySelector("label[for='" + source.id + "']");
    if (label) {
      label.id = source.id + "-label";
      label.addEventListener("click", function () { area.focus(); });
    }
    document.execCommand("defaultParagraphSeparator", false, "p");
    source.form.addEventListener("submit", function () { source.value = area.innerHTML; });
    return area;
  }

  function run(command, button, area) {
    area.focus();
    if (command === "bold" || command === "italic") document.execCommand(command);
    else if (command === "ul") document.execCommand("insertUnorderedList");
    else if (command in BLOCKS) {
      var current = document.queryCommandValue("formatBlock").toLowerCase();
      document.execCommand("formatBlock", false, current === BLOCKS[command] ? "p" : BLOCKS[command]);
    } else if (command === "link") {
      var address = window.prompt(button.dataset.prompt || "URL", "https://");
      if (address && /^https?:\/\//i.test(address)) document.execCommand("createLink", false, address);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea.body-source").forEach(function (source) {
      var area = editorFor(source);
      var bar = source.form.querySelector(".toolbar");
      if (!bar) return;
      bar.hidden = false;
      bar.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-command]");
        if (button) run(button.dataset.command, button, area);
      });
    });
    var add = document.getElementById("add-shot");
    var rows = document.querySelector("#shot-rows tbody");
    if (add && rows && rows.lastElementChild) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var row = rows.lastElementChild.cloneNode(true);
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        rows.appendChild(row);
        row.querySelector("input").focus();
      });
    }
  });
}());
