// Exports page and export detail: while an export is pending or running, ask the API for its
// progress every few seconds (the person's own session), show it, and reload the page once it
// has finished so the download link and manifest appear. No inline script (the site's CSP).
(function () {
  "use strict";
  var EVERY_MS = 2000;
  var FINISHED = ["succeeded", "failed", "expired"];

  function show(row, job) {
    var bar = row.querySelector(".export-progress");
    var count = row.querySelector(".export-count");
    if (bar && job.total) { bar.max = job.total; bar.value = job.done; }
    if (count) { count.textContent = job.done + (job.total ? " of " + job.total : "") + " rows"; }
  }

  function poll() {
    var rows = document.querySelectorAll("[data-export-poll]");
    if (!rows.length) { return; }
    var pending = rows.length;
    var done = false;
    rows.forEach(function (row) {
      fetch(row.getAttribute("data-export-poll"), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (job) {
        if (!job) { return; }
        show(row, job);
        if (FINISHED.indexOf(job.status) !== -1) { done = true; }
      }).catch(function () { /* the next round asks again */ }).then(function () {
        pending -= 1;
        if (pending === 0) {
          if (done) { window.location.reload(); } else { window.setTimeout(poll, EVERY_MS); }
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, EVERY_MS); });
})();
