/* Live skip logic on the public form. Without JavaScript every question shows and the
   server drops answers to questions whose conditions are false. */
(function () {
  "use strict";
  var form = document.querySelector("[data-survey-form]");
  if (!form || !window.HaiLongLogic) return;

  function numeric(value) { return /^-?\d+(\.\d+)?$/.test(value) ? parseFloat(value) : value; }

  /* The answer held by one question box, or undefined when it has none. */
  function answerOf(box) {
    var answer;
    box.querySelectorAll("input, textarea, select").forEach(function (input) {
      if (input.type === "checkbox") {
        if (input.checked) (answer = answer || []).push(input.value);
      } else if (input.type === "radio") {
        if (input.checked) answer = numeric(input.value);
      } else if (input.value !== "") {
        answer = input.inputMode === "decimal" ? numeric(input.value) : input.value;
      }
    });
    return answer;
  }

  function apply() {
    // Conditions read earlier questions only, so one pass in document order settles all.
    var answers = {};
    form.querySelectorAll(".section, .question[data-code]").forEach(function (node) {
      var shown = true;
      if (node.dataset.relevant) {
        try { shown = window.HaiLongLogic.isShown(node.dataset.relevant, answers); } catch (e) { shown = true; }
      }
      if (node.classList.contains("section")) { node.hidden = !shown; return; }
      var section = node.closest(".section");
      node.hidden = !shown || (section !== null && section.hidden);
      node.querySelectorAll("input, textarea, select").forEach(function (i) { i.disabled = node.hidden; });
      if (!node.hidden) {
        var answer = answerOf(node);
        if (answer !== undefined) answers[node.dataset.code] = answer;
      }
    });
  }

  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  apply();
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
