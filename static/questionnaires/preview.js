/* Live skip logic in the builder's preview: the same engine as the public form. */
(function () {
  "use strict";
  var form = document.querySelector("[data-preview-form]");
  if (!form || !window.HaiLongLogic) return;
  function numeric(v) { return /^-?[0-9]+(\.[0-9]+)?$/.test(v) ? parseFloat(v) : v; }
  function answerOf(box) {
    var answer, type = box.dataset.type;
    if (type === "matrix") {
      var rows = {};
      box.querySelectorAll("input:checked").forEach(function (i) { rows[i.name.split(".")[1]] = numeric(i.value); });
      return Object.keys(rows).length ? rows : undefined;
    }
    box.querySelectorAll("input, textarea").forEach(function (input) {
      if (input.type === "checkbox") { if (input.checked) (answer = answer || []).push(input.value); }
      else if (input.type === "radio") { if (input.checked) answer = numeric(input.value); }
      else if (input.value !== "") answer = type === "number" ? numeric(input.value) : input.value;
    });
    return answer;
  }
  function apply() {
    var answers = {};
    form.querySelectorAll("[data-section], .question[data-code]").forEach(function (node) {
      var shown = true;
      if (node.dataset.relevant) {
        try { shown = window.HaiLongLogic.isShown(node.dataset.relevant, answers); } catch (e) { shown = true; }
      }
      if (node.hasAttribute("data-section")) { node.hidden = !shown; return; }
      var section = node.closest("[data-section]");
      node.hidden = !shown || (section !== null && section.hidden);
      if (!node.hidden) { var a = answerOf(node); if (a !== undefined) answers[node.dataset.code] = a; }
    });
  }
  // A preview never submits (the handler lives here: the CSP forbids inline onsubmit).
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  apply();
})();
