// Topic chips: a <select multiple data-chips> becomes chips plus a search box that suggests any
// topic. The select stays in the form (hidden) and keeps the truth: each chip is a selected option,
// so the form sends qcodes, one value per topic. Without JavaScript the multi-select itself works.
(function () {
  "use strict";
  var MAX_SUGGESTIONS = 8;

  function fold(text) { return (text || "").toLocaleLowerCase(); }

  function enhance(select) {
    var options = Array.prototype.slice.call(select.options);
    var wrap = document.createElement("div");
    var chips = document.createElement("ul");
    var input = document.createElement("input");
    var box = document.createElement("ul");
    var active = -1;
    var shown = [];

    wrap.className = "chips";
    chips.className = "chip-list";
    input.type = "text";
    input.id = select.id + "-search";
    input.className = "chip-input";
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", select.id + "-suggestions");
    input.setAttribute("placeholder", select.dataset.searchLabel || "");
    if (select.getAttribute("aria-describedby")) input.setAttribute("aria-describedby", select.getAttribute("aria-describedby"));
    box.id = select.id + "-suggestions";
    box.className = "suggestions";
    box.setAttribute("role", "listbox");
    box.hidden = true;

    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) label.htmlFor = input.id;
    select.hidden = true;
    select.parentNode.insertBefore(wrap, select);
    wrap.appendChild(chips);
    wrap.appendChild(input);
    wrap.appendChild(box);

    function drawChips() {
      chips.textContent = "";
      options.forEach(function (option) {
        if (!option.selected) return;
        var chip = document.createElement("li");
        var text = document.createElement("span");
        var remove = document.createElement("button");
        chip.className = "chip";
        chip.dataset.qcode = option.value;
        text.textContent = option.textContent;
        remove.type = "button";
        remove.className = "chip-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", (select.dataset.removeLabel || "Remove") + ": " + option.textContent);
        remove.addEventListener("click", function () {
          option.selected = false;
          drawChips();
          input.focus();
        });
        chip.appendChild(text);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = box.querySelectorAll("[role=option]");
      active = items.length ? (index + items.length) % items.length : -1;
      Array.prototype.forEach.call(items, function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      if (active >= 0) input.setAttribute("aria-activedescendant", items[active].id);
    }

    function choose(option) {
      option.selected = true;
      input.value = "";
      close();
      drawChips();
      input.focus();
    }

    function suggest() {
      var typed = fold(input.value.trim());
      box.textContent = "";
      if (!typed) { close(); return; }
      shown = options.filter(function (option) {
        return !option.selected && (fold(option.textContent).indexOf(typed) >= 0 || fold(option.value).indexOf(typed) >= 0);
      }).slice(0, MAX_SUGGESTIONS);
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = select.dataset.noneLabel || "";
        box.appendChild(none);
      }
      shown.forEach(function (option, i) {
        var item = document.createElement("li");
        item.id = select.id + "-option-" + i;
        item.setAttribute("role", "option");
        item.textContent = option.textContent;
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(option); });
        box.appendChild(item);
      });
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(0);
    }

    input.addEventListener("input", suggest);
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && !box.hidden) { highlight(active + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp" && !box.hidden) { highlight(active - 1); event.preventDefault(); }
      else if (event.key === "Enter" && input.value.trim()) {
        event.preventDefault();  // Enter adds a topic; it never sends the form half-filled
        if (active >= 0 && shown[active]) choose(shown[active]);
      } else if (event.key === "Escape") { close(); }
      else if (event.key === "Backspace" && !input.value) {
        var chosen = options.filter(function (option) { return option.selected; });
        if (chosen.length) { chosen[chosen.length - 1].selected = false; drawChips(); }
      }
    });
    drawChips();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-chips]"), enhance);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
