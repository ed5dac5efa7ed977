// A report being built: poll its status until it has finished, then offer the download.
(function () {
  "use strict";
  var box = document.querySelector("[data-report-job]");
  if (!box || box.dataset.finished === "1") return;

  function field(name) { return box.querySelector("[data-field='" + name + "']"); }

  function show(job) {
    var progress = field("progress");
    progress.value = job.progress;
    progress.textContent = job.progress + "%";
    field("status").textContent = job.status_label;
    field("stage").textContent = job.stage || "";
    field("error").textContent = job.error || "";
    if (job.download_url) {
      field("download-link").href = job.download_url;
      field("download").hidden = false;
      field("download-link").focus();
    }
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (job) {
        if (!job) return;
        show(job);
        if (job.status !== "succeeded" && job.status !== "failed") {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
