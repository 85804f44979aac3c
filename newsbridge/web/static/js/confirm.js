// Confirmation dialogs: a link with data-dialog="<id>" opens that <dialog> instead of its
// confirmation page; without JavaScript (or <dialog>) the link leads to that page, which holds
// the same form. A [data-close-dialog] link inside the dialog closes it instead of navigating.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("a[data-dialog]") : null;
    if (opener) {
      var dialog = document.getElementById(opener.dataset.dialog);
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("button, a");
        if (first) first.focus();
      }
      return;
    }
    var closer = event.target.closest ? event.target.closest("dialog [data-close-dialog]") : null;
    if (closer) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
  });
})();
