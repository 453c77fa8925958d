/* Progressive enhancements only: every page works without this file.
   Loaded with `defer` from a local file so a strict CSP (no inline script) holds. */
(function () {
  "use strict";

  // <form data-confirm="Are you sure?"> or <button data-confirm="..."> asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Close an open user menu (<details>) with Escape or a click elsewhere.
  function closeMenus(except) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      if (d !== except) { d.removeAttribute("open"); }
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = document.querySelector("details.user-menu[open]");
      if (open) {
        open.removeAttribute("open");
        open.querySelector("summary").focus();
      }
    }
  });
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest("details.user-menu") : null);
  });

  // <select data-autosubmit> / <input data-autosubmit> submit their form when changed.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });

  // After a failed submit, move focus to the error summary so screen readers announce it.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }

  // A refused form re-shown at its card (URL #fragment): browsers skip `autofocus` when the
  // URL names a fragment, so move the focus to the field marked autofocus, leaving the
  // scroll where the fragment put it (the card's top, with its title and the error).
  window.addEventListener("load", function () {
    var field = document.querySelector("main [autofocus]");
    if (field && (document.activeElement === document.body || document.activeElement === null)) {
      field.focus({ preventScroll: !!window.location.hash });
    }
  });
})();
