// Live progress of a round's unfinished runs: poll the run API until each has finished.
(function () {
  "use strict";
  var rows = document.querySelectorAll("tr[data-run][data-active='1']");
  if (!rows.length) return;
  var finished = { succeeded: true, failed: true };
  var table = document.querySelector("table[data-runs]");
  var labels = table && table.dataset.labels ? JSON.parse(table.dataset.labels) : {};
  var stages = table && table.dataset.stages ? JSON.parse(table.dataset.stages) : {};

  function show(row, run) {
    var progress = row.querySelector("[data-field='progress']");
    progress.value = run.progress;
    progress.textContent = run.progress + "%";
    row.querySelector("[data-field='stage']").textContent = stages[run.stage] || run.stage || "";
    row.querySelector("[data-field='status']").textContent = labels[run.status] || run.status;
    var order = Object.keys(stages);
    var timings = Object.keys(run.timings || {}).sort(function (a, b) {
      return order.indexOf(a) - order.indexOf(b);
    }).map(function (stage) {
      return (stages[stage] || stage) + " " + run.timings[stage];
    });
    row.querySelector("[data-field='timings']").textContent = timings.join(" · ");
  }

  function poll(row) {
    fetch(row.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (run) {
        if (!run) return;
        show(row, run);
        if (finished[run.status]) {
          window.location.reload(); // the results, diagnostics and monitoring changed
        } else {
          window.setTimeout(function () { poll(row); }, 1000);
        }
      });
  }

  rows.forEach(poll);
})();
