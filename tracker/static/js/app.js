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

  // Date inputs (<input data-date-input="ID-echo">): while typing, say how the value is read
  // (民國107年12月31日（2018-12-31）) in the line under it. The server's parser answers
  // (/dates/parse): one parser for the page, the form and this hint.
  var dateTimers = new WeakMap();
  function refreshDateEcho(input) {
    var echo = document.getElementById(input.getAttribute("data-date-input"));
    var url = document.body.getAttribute("data-date-parse-url");
    if (!echo || !url || !window.fetch) { return; }
    var params = new URLSearchParams({ value: input.value });
    ["max", "min"].forEach(function (k) {
      var v = input.getAttribute("data-" + k);
      if (v) { params.set(k, v); }
    });
    fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || input.value.trim().slice(0, 40) !== body.value) { return; }  // stale answer
        echo.textContent = body.message;
        echo.classList.toggle("date-echo-ok", !!body.ok && !!body.date);
        echo.classList.toggle("date-echo-bad", !body.ok && body.value !== "");
      })
      .catch(function () { /* the server still checks on submit */ });
  }
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!el.hasAttribute || !el.hasAttribute("data-date-input")) { return; }
    clearTimeout(dateTimers.get(el));
    dateTimers.set(el, setTimeout(function () { refreshDateEcho(el); }, 250));
  });

  // Phones: every table in a .table-wrap becomes stacked cards (CSS .table-stack, below
  // 40rem): each cell gets its column header as data-label. Templates label the main
  // tables themselves; this labels the rest. Without this file they scroll in their box.
  document.querySelectorAll(".table-wrap > table.table").forEach(function (table) {
    if (table.hasAttribute("data-no-stack") || !table.tHead) { return; }
    var headRow = table.tHead.rows[table.tHead.rows.length - 1];
    if (table.tHead.rows.length !== 1) { return; }
    var labels = [];
    Array.prototype.forEach.call(headRow.cells, function (th) {
      for (var i = 0; i < (th.colSpan || 1); i += 1) { labels.push(th.textContent.trim()); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && labels[col] && (cell.colSpan || 1) === 1) {
            cell.setAttribute("data-label", labels[col]);
          }
          col += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("table-stack");
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
