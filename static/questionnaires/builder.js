/* The builder's small helpers: confirm deletes, show the fields of the chosen question
   type, drag questions to reorder them (the buttons do the same without JavaScript). */
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  var type = document.querySelector("[data-question-form] select[name=type]");
  function showGroups() {
    document.querySelectorAll("[data-question-form] [data-types]").forEach(function (group) {
      group.hidden = group.dataset.types.split(" ").indexOf(type.value) < 0;
    });
  }
  if (type) { type.addEventListener("change", showGroups); showGroups(); }

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  var dragged = null;
  document.querySelectorAll(".o-question[draggable]").forEach(function (item) {
    item.addEventListener("dragstart", function (event) {
      dragged = item; item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.question);
    });
    item.addEventListener("dragend", function () { item.classList.remove("dragging"); });
  });
  document.querySelectorAll("[data-questions]").forEach(function (list) {
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var after = Array.prototype.find.call(list.querySelectorAll(".o-question:not(.dragging)"), function (child) {
        var box = child.getBoundingClientRect(); return event.clientY < box.top + box.height / 2;
      });
      if (after) list.insertBefore(dragged, after); else list.appendChild(dragged);
    });
    list.addEventListener("drop", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var position = Array.prototype.indexOf.call(list.querySelectorAll(".o-question"), dragged);
      var body = new URLSearchParams({ section: list.dataset.questions, position: String(position) });
      fetch(dragged.dataset.move, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), "X-Requested-With": "fetch" }
      }).then(function () { window.location.reload(); });
      dragged = null;
    });
  });
})();
