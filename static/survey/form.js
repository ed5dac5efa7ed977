/* Live skip logic on the public form. The server stays authoritative: without
   JavaScript every question of the page shows and the server drops answers to questions
   whose conditions are false, and skips sections whose conditions are false. Answers
   given on earlier pages come in #survey-prior so conditions can read them here. */
(function () {
  "use strict";
  var form = document.querySelector("[data-survey-form]");
  if (!form) return;
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  if (!window.HaiLongLogic) return;

  var prior = {};
  var priorNode = document.getElementById("survey-prior");
  if (priorNode) { try { prior = JSON.parse(priorNode.textContent) || {}; } catch (e) { prior = {}; } }

  function numeric(value) { return /^-?\d+(\.\d+)?$/.test(value) ? parseFloat(value) : value; }

  /* The answer held by one question box, or undefined when it has none. */
  function answerOf(box) {
    var answer;
    if (box.dataset.type === "matrix") {
      box.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
        var row = input.name.split(".").slice(1).join(".");
        (answer = answer || {})[row] = numeric(input.value);
      });
      return answer;
    }
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

  function shown(node, answers) {
    if (!node.dataset.relevant) return true;
    try { return window.HaiLongLogic.isShown(node.dataset.relevant, answers); } catch (e) { return true; }
  }

  function apply() {
    // Conditions read earlier questions only, so one pass in document order settles all.
    var answers = Object.assign({}, prior);
    form.querySelectorAll(".section, .question[data-code]").forEach(function (node) {
      if (node.classList.contains("section")) { node.hidden = !shown(node, answers); return; }
      var section = node.closest(".section");
      var hide = !shown(node, answers) || (section !== null && section.hidden);
      if (node.hidden !== hide) {
        node.hidden = hide;
        node.querySelectorAll("input, textarea, select").forEach(function (i) { i.disabled = hide; });
      }
      if (!hide) {
        var answer = answerOf(node);
        if (answer !== undefined) answers[node.dataset.code] = answer;
        else delete answers[node.dataset.code];
      }
    });
  }

  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  apply();
})();
